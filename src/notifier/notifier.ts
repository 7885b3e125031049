import type postgres from "postgres";
import type { ChatIdCipher } from "../chat-id.ts";
import type { Logger } from "../log.ts";
import { createBusyLocks } from "./busy-locks.ts";
import { createDelivery } from "./deliver.ts";
import { Doorbell } from "./doorbell.ts";
import { claimLimitFor, createDrain } from "./drain.ts";
import { release } from "./outbox.ts";
import { rateLimiter, semaphore } from "./pacing.ts";
import { createRowSender, type SendRow } from "./send-row.ts";
import { createSender } from "./sender.ts";
import { type Emit, type NotifierEvent, newRunState } from "./state.ts";

export type { NotifierEvent } from "./state.ts";

export interface NotifierOptions {
  sql: postgres.Sql;
  /** For the LISTEN connection and the ring locks, each a connection of its own. */
  databaseUrl: string;
  apiRoot: string;
  token: string;
  chatIds: ChatIdCipher;
  logger: Logger;
  websiteUrl: string;
  /** For customers who never chose a time zone (`customerTimeZone`). Defaults to Africa/Algiers. */
  shopTimeZone?: string;
  /** Messages per second across all chats; 0 = no cap. */
  maxPerSecond: number;
  /** Sends in flight at once (each to a different customer). Defaults to 8. */
  concurrency?: number;
  /** Rows leased per claim. Defaults to 500; under a send cap, at most half a lease of sends. */
  batchSize?: number;
  /** Messages of one customer leased per claim, sent one after the other. Defaults to 10. */
  perCustomer?: number;
  /** false: claim and send nothing; events wait. Defaults to true. */
  enabled?: boolean;
  /**
   * Notifications paused by the operator (src/controls.ts): rows already claimed are given
   * back unsent (the claim itself leases nothing while paused). Defaults to never.
   */
  paused?: () => boolean;
  workerId?: string;
  /** How long a claimed row is reserved for this process. Defaults to 30 s. */
  leaseSeconds?: number;
  /** Drains even without a NOTIFY this often. Defaults to 1 s. */
  slowTimerMs?: number;
  /** Transient failures are retried until the event is this old. Defaults to 24 h. */
  maxAgeMs?: number;
  onEvent?: (event: NotifierEvent) => void;
}

export interface Notifier {
  start(): Promise<void>;
  /** Stops claiming, finishes the sends in flight, releases its connections. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  health(): { listening: boolean; lastDrainAt: Date | null; fatal?: string };
  /** Drains now (as a NOTIFY would). */
  drainNow(): void;
}

/**
 * Turns outbox rows into Telegram messages. Woken by NOTIFY, and also on start, after
 * every reconnect and on a slow timer, so delivery never depends on a NOTIFY arriving.
 *
 * This function only wires the rooms, from the bell to Telegram:
 * - doorbell.ts: LISTEN, the slow timer, one drain at a time, backoff when it fails;
 * - drain.ts: the claim loop and its overlapped batches (claim-lead.ts: when the next
 *   claim starts); busy-locks.ts lets the triggers NOTIFY only while it listens and is idle;
 * - deliver.ts: a batch as per-customer chains, sent rows recorded in chunks;
 * - send-row.ts: one message: rendered (render.ts), paced (pacing.ts), sent (sender.ts),
 *   a refusal settled by failure-policy.ts;
 * - outbox.ts: the queries. The rooms share one RunState (state.ts).
 */
export function createNotifier(options: NotifierOptions): Notifier {
  const { sql, logger } = options;
  const concurrency = options.concurrency ?? 8;
  const leaseSeconds = options.leaseSeconds ?? 30;
  const emit: Emit = (event) => options.onEvent?.(event);
  const state = newRunState();
  const sender = createSender({
    apiRoot: options.apiRoot,
    token: options.token,
    connections: concurrency,
  });
  const busy = createBusyLocks(options.databaseUrl);
  const sendEach = createRowSender({
    sql,
    logger,
    emit,
    state,
    chatIds: options.chatIds,
    websiteUrl: options.websiteUrl,
    shopTimeZone: options.shopTimeZone,
    sender,
    limiter: rateLimiter(options.maxPerSecond),
    // A row is not sent this close to the end of its lease (a quarter of it, at most 5 s).
    leaseMarginMs: Math.min(5_000, leaseSeconds * 250),
    maxAgeMs: options.maxAgeMs ?? 24 * 3600 * 1000,
  });
  const paused = options.paused ?? (() => false);
  // The pause gate: a batch claimed before the pause stops at its next message; the row
  // and (deliver.ts) the customer's later ones go back to the outbox, in order.
  const sendRow: SendRow = async (row, ...rest) => {
    if (!paused()) {
      const settled = await sendEach(row, ...rest);
      if (!settled) state.unsettled++;
      return settled;
    }
    state.unsettled++;
    // The next claim waits a second: should this copy lag behind a resume, the drain
    // claims once a second, not as fast as it can; after a resume, a second at most.
    state.pausedUntil = Math.max(state.pausedUntil, performance.now() + 1_000);
    await release(sql, [row.id]);
    return false;
  };
  const deliverBatch = createDelivery({
    sql,
    logger,
    state,
    concurrency,
    // Customers sending at once, across batches.
    slots: semaphore(concurrency),
    sendRow,
    maxPerSecond: options.maxPerSecond,
  });
  const bell = new Doorbell({
    databaseUrl: options.databaseUrl,
    logger,
    emit,
    state,
    slowTimerMs: options.slowTimerMs ?? 1_000,
    locks: busy,
    // Bound late: the drain rings the bell, the bell runs the drain.
    drain: () => drain(),
  });
  const drain = createDrain({
    sql,
    state,
    emit,
    bell,
    busy,
    deliverBatch,
    workerId: options.workerId ?? `notifier-${process.pid}`,
    claimLimit: claimLimitFor(options.batchSize ?? 500, options.maxPerSecond, leaseSeconds),
    maxPerSecond: options.maxPerSecond,
    perCustomer: options.perCustomer ?? 10,
    leaseSeconds,
    enabled: options.enabled !== false,
  });

  return {
    async start() {
      if (options.enabled === false) {
        logger.warn("notifier: TELEGRAM_CUSTOMER_BOT_ENABLED=false, sending nothing; events wait");
      }
      bell.start();
    },
    async stop({ timeoutMs = 8_000 } = {}) {
      state.stopped = true;
      await bell.stop(timeoutMs);
      await busy.close();
      sender.close();
    },
    health: () => ({
      listening: bell.listening,
      lastDrainAt: state.lastDrainAt,
      ...(state.fatal ? { fatal: state.fatal } : {}),
    }),
    drainNow: () => bell.ring(),
  };
}
