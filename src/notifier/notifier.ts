import pg from "pg";
import type { Options as ListenOptions, Subscriber } from "pg-listen";
import * as pgListen from "pg-listen";
import type postgres from "postgres";
import type { ChatIdCipher } from "../chat-id.ts";
import { pickLocale } from "../format.ts";
import type { Logger } from "../log.ts";
import { reachedTail } from "./claim-lead.ts";
import { classify } from "./failure-policy.ts";
import {
  type Claim,
  type ClaimedRow,
  claimDue,
  markBlocked,
  markFailed,
  markSentMany,
  markSkipped,
  release,
  retryLater,
  type SentRow,
  skipReason,
} from "./outbox.ts";
import { inQuietHours, rateLimiter, semaphore, sleep } from "./pacing.ts";
import { renderNotification } from "./render.ts";
import { createSender } from "./sender.ts";

/** What the notifier reports, for metrics. */
export type NotifierEvent =
  | { type: "sent"; kind: string; latencyMs: number }
  | { type: "failed"; kind: string; reason: string }
  | { type: "skipped"; kind: string; reason: string }
  | { type: "retry"; kind: string; reason: string }
  | { type: "listener"; state: "connected" | "reconnecting" | "failed" };

export interface NotifierOptions {
  sql: postgres.Sql;
  /** For the LISTEN connection and the busy lock, each a connection of its own. */
  databaseUrl: string;
  apiRoot: string;
  token: string;
  chatIds: ChatIdCipher;
  logger: Logger;
  websiteUrl: string;
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

/** A claim, and when (performance.now()) its leases run out. */
type LeasedClaim = Claim & { leaseEndsAt: number };

/** Sent rows recorded per UPDATE, at most. */
const FLUSH_ROWS = 32;
/** A claim of this many rows (events coming faster than one at a time) takes the busy locks. */
const BUSY_AT = 8;
/** Claimed batches up to this size log every send at info; bigger ones log a summary. */
const LOG_EACH_UP_TO = 10;
/** How long a sent row may wait to be recorded, at most. */
const FLUSH_MS = 5;

// pg-listen is CommonJS with its function on `default`.
const createSubscriber = (
  pgListen as unknown as {
    default: (config: pg.ClientConfig, options: ListenOptions) => Subscriber;
  }
).default;

/**
 * Turns outbox rows into Telegram messages. Woken by NOTIFY, and also on start, after
 * every reconnect and on a slow timer, so delivery never depends on a NOTIFY arriving.
 */
export function createNotifier(options: NotifierOptions): Notifier {
  const { sql, logger } = options;
  const concurrency = options.concurrency ?? 8;
  const batchSize = options.batchSize ?? 500;
  const perCustomer = options.perCustomer ?? 10;
  const leaseSeconds = options.leaseSeconds ?? 30;
  // Under a send cap a claim holds at most half a lease's worth of sends, so its last row
  // goes out well before its lease runs out and another notifier may take it again.
  const claimLimit =
    options.maxPerSecond > 0
      ? Math.max(1, Math.min(batchSize, Math.floor((options.maxPerSecond * leaseSeconds) / 2)))
      : batchSize;
  // A row is not sent this close to the end of its lease (a quarter of it, at most 5 s).
  const leaseMarginMs = Math.min(5_000, leaseSeconds * 250);
  const slowTimerMs = options.slowTimerMs ?? 1_000;
  const maxAgeMs = options.maxAgeMs ?? 24 * 3600 * 1000;
  const workerId = options.workerId ?? `notifier-${process.pid}`;
  const emit = (event: NotifierEvent) => options.onEvent?.(event);
  const sender = createSender({
    apiRoot: options.apiRoot,
    token: options.token,
    connections: concurrency,
  });

  let listening = false;
  let lastDrainAt: Date | null = null;
  let fatal: string | undefined;
  let stopped = false;
  let draining: Promise<void> | undefined;
  let again = false;
  let pausedUntil = 0;
  let failures = 0;
  // How long the last claim took, to start the next one that long ahead.
  let lastClaimMs = 0;
  let busyClient: pg.Client | undefined;
  let busy = false;
  const timers = new Set<NodeJS.Timeout>();
  const limiter = rateLimiter(options.maxPerSecond);
  // Customers sending at once, across batches: a batch's chains queue behind the previous
  // batch's last ones instead of waiting for all of them to finish.
  const slots = semaphore(concurrency);

  const subscriber = createSubscriber(
    { connectionString: options.databaseUrl, application_name: "compucar-customer-bot listener" },
    {
      parse: (payload: string) => payload,
      paranoidChecking: 10_000,
      retryLimit: Number.POSITIVE_INFINITY,
      retryTimeout: Number.POSITIVE_INFINITY,
      retryInterval: (attempt: number) =>
        Math.min(10_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2),
    },
  );
  subscriber.notifications.on("telegram_outbox", () => kick());
  subscriber.events.on("connected", () => {
    if (!listening) logger.info("notifier: listening for new events");
    listening = true;
    emit({ type: "listener", state: "connected" });
    kick();
  });
  subscriber.events.on("reconnect", (attempt: number) => {
    if (listening) logger.warn("notifier: lost the LISTEN connection; reconnecting");
    listening = false;
    if (attempt === 1) emit({ type: "listener", state: "reconnecting" });
  });
  subscriber.events.on("error", (error: Error) => {
    listening = false;
    logger.error({ err: error }, "notifier: the LISTEN connection failed");
    emit({ type: "listener", state: "failed" });
  });

  async function setBusy(value: boolean): Promise<void> {
    if (busy === value) return;
    try {
      if (value) {
        if (!busyClient) {
          const client = new pg.Client({
            connectionString: options.databaseUrl,
            application_name: "compucar-customer-bot busy",
          });
          client.on("error", () => {
            busyClient = undefined;
            busy = false;
          });
          await client.connect();
          busyClient = client;
        }
        await busyClient.query("SELECT telegram.notifier_set_busy(true)");
      } else if (busyClient) {
        await busyClient.query("SELECT telegram.notifier_set_busy(false)");
      }
      busy = value;
    } catch {
      // Without the lock the triggers ring on every event: slower for the website, never wrong.
      busyClient?.end().catch(() => {});
      busyClient = undefined;
      busy = false;
    }
  }

  function kick(): void {
    if (stopped || fatal) return;
    if (draining) {
      again = true;
      return;
    }
    draining = drain()
      .then(() => {
        failures = 0;
      })
      .catch((error) => {
        // The database is away (restarting, failing over): back off instead of spinning.
        failures++;
        if (failures === 1 && !stopped)
          logger.error({ err: error }, "notifier: drain failed; retrying with backoff");
        schedule(Math.min(10_000, 250 * 2 ** Math.min(failures, 6)));
        again = false;
      })
      .finally(() => {
        draining = undefined;
        if (again && !stopped) {
          again = false;
          kick();
        }
      });
  }

  async function drain(): Promise<void> {
    if (options.enabled === false) return;
    // The busy locks quiet the bell while events come faster than one claim takes them.
    // A quiet shop never takes them: each event rings, and is claimed alone.
    let becameBusy: Promise<void> | undefined;
    // The next claim, started while the current batch's last chains are still sending.
    let next: Promise<LeasedClaim> | undefined;
    // A full batch whose last chains still send while the next one starts (at most one),
    // and the batch being sent.
    let previous: Promise<void> | undefined;
    let current: Promise<void> | undefined;
    try {
      for (;;) {
        again = false;
        const wait = pausedUntil - Date.now();
        if (wait > 0) {
          schedule(wait);
          return;
        }
        const prefetched = next !== undefined;
        const claim = await (next ?? claimBatch());
        next = undefined;
        for (const s of claim.skipped) emit({ type: "skipped", kind: s.kind, reason: s.reason });
        lastDrainAt = new Date();
        if (stopped || fatal) {
          await release(
            sql,
            claim.rows.map((r) => r.id),
          );
          return;
        }
        if (claim.rows.length === 0 && claim.skipped.length === 0) {
          // A claim made while rows were in flight may find nothing only because their
          // customers were busy: look once more now that they are settled.
          if (previous) {
            await previous;
            previous = undefined;
            continue;
          }
          if (prefetched) continue;
          break;
        }
        // Taken on its own connection while this batch sends.
        if (!becameBusy && claim.rows.length + claim.skipped.length >= BUSY_AT)
          becameBusy = setBusy(true);
        // A full batch means more is waiting: claim it while this one's tail is sending,
        // and send it beside that tail.
        const full = claim.rows.length >= claimLimit;
        let reachedTail = () => {};
        const tail = new Promise<void>((resolve) => {
          reachedTail = resolve;
        });
        const delivery = deliverBatch(
          claim.rows,
          () => {
            if (full && !stopped && !fatal && pausedUntil <= Date.now()) next ??= claimBatch();
            reachedTail();
          },
          claim.leaseEndsAt,
        );
        // Awaited below or by the next round; until then a failure is not unhandled.
        delivery.catch(() => {});
        current = delivery;
        await previous;
        previous = undefined;
        if (full) {
          await Promise.race([tail, delivery]);
          previous = delivery;
        } else {
          await delivery;
        }
        current = undefined;
      }
    } finally {
      // Also when a round failed: no batch keeps sending after the drain is over.
      await Promise.allSettled([previous, current]);
      if (next) {
        const left = await next.catch(() => undefined);
        if (left)
          await release(
            sql,
            left.rows.map((r) => r.id),
          ).catch(() => {});
      }
      if (becameBusy) {
        await becameBusy;
        await setBusy(false);
      }
    }
    if (!becameBusy || stopped || fatal) return;
    // Rows whose trigger fired while we were busy rang no bell: look once more, now that
    // the bell rings again, and once more later for a transaction that took its time.
    schedule(250);
    const probe = await claimBatch();
    for (const s of probe.skipped) emit({ type: "skipped", kind: s.kind, reason: s.reason });
    if (probe.rows.length > 0) await deliverBatch(probe.rows, () => {}, probe.leaseEndsAt);
    if (probe.rows.length > 0 || probe.skipped.length > 0) again = true;
  }

  function claimBatch(): Promise<LeasedClaim> {
    const at = performance.now();
    const pending = claimDue(sql, { workerId, limit: claimLimit, perCustomer, leaseSeconds }).then(
      (claim) => {
        lastClaimMs = performance.now() - at;
        // Counted from before the claim was sent: never later than the database's.
        return { ...claim, leaseEndsAt: at + leaseSeconds * 1000 };
      },
    );
    // Awaited later; until then a failure must not count as unhandled.
    pending.catch(() => {});
    return pending;
  }

  function schedule(ms: number): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      kick();
    }, ms);
    timers.add(timer);
  }

  /**
   * Sends a claimed batch: each customer's rows one after the other, in order, up to
   * `concurrency` customers at once. When a row is not settled (retry later), the
   * customer's later rows are given back so they never overtake it. Rows Telegram
   * accepted are marked sent together, in one UPDATE per chunk. `onTail` is called once,
   * when the batch's end is near (see `tail` below), so the next claim overlaps its sending.
   */
  async function deliverBatch(
    rows: ClaimedRow[],
    onTail: () => void,
    leaseEndsAt: number,
  ): Promise<void> {
    // Each send gets its own info line in a small batch; a big one (a backlog) gets one
    // summary line, and the per-message lines go to debug: thousands of lines a second
    // cost a tenth of the notifier's CPU and bury everything else.
    const logEach = rows.length <= LOG_EACH_UP_TO;
    const startedAt = performance.now();
    let accepted = 0;
    const chains = new Map<string, ClaimedRow[]>();
    for (const row of rows) {
      const chain = chains.get(row.user_id);
      if (chain) chain.push(row);
      else chains.set(row.user_id, [row]);
    }
    // Accepted rows are recorded in chunks: at most FLUSH_ROWS, at most FLUSH_MS later.
    // A crash before a chunk commits sends those rows again (at least once, never lost).
    const sent: SentRow[] = [];
    let flushing: Promise<void> = Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      clearTimeout(timer);
      timer = undefined;
      if (sent.length === 0) return flushing;
      const chunk = sent.splice(0, sent.length);
      flushing = flushing
        .then(() => markSentMany(sql, chunk))
        .catch((error: unknown) => {
          logger.error(
            { err: error, rows: chunk.length },
            "notifier: could not record sent messages; they will be sent again",
          );
        });
      return flushing;
    };
    const record = (entry: SentRow) => {
      accepted++;
      sent.push(entry);
      if (sent.length >= FLUSH_ROWS) void flush();
      else timer ??= setTimeout(flush, FLUSH_MS);
    };
    // The tail begins when the last chains start, or earlier: when the rows left to start
    // would be sent, at this batch's pace, in about twice the time the last claim took
    // (at most a second ahead, so the next claim's leases are not spent waiting).
    // Short chains (a backlog of many customers) would otherwise leave the next claim
    // running while nothing is sent.
    let waiting = chains.size;
    let started = 0;
    let tailed = false;
    const tail = () => {
      if (tailed) return;
      const elapsed = performance.now() - startedAt;
      if (reachedTail(rows.length, started, waiting, concurrency, elapsed, lastClaimMs)) {
        tailed = true;
        onTail();
      }
    };
    await Promise.all(
      [...chains.values()].map(async (chain) => {
        await slots.acquire();
        try {
          waiting--;
          for (let i = 0; i < chain.length; i++) {
            const row = chain[i] as ClaimedRow;
            started++;
            tail();
            if (stopped || fatal || !(await deliver(row, record, logEach, leaseEndsAt))) {
              await release(
                sql,
                chain.slice(i + (stopped || fatal ? 0 : 1)).map((r) => r.id),
              );
              return;
            }
          }
        } finally {
          slots.release();
        }
      }),
    );
    await flush();
    if (!logEach && accepted > 0) {
      logger.info(
        { sent: accepted, claimed: rows.length, ms: Math.round(performance.now() - startedAt) },
        `✅ ${accepted} Telegram notifications sent`,
      );
    }
  }

  /**
   * Sends one row; an accepted one is passed to `record`. Returns false when the customer's
   * later rows must not follow now (this one will be retried, or the chat is blocked).
   */
  async function deliver(
    row: ClaimedRow,
    record: (sent: SentRow) => void,
    logEach: boolean,
    leaseEndsAt: number,
  ): Promise<boolean> {
    const skip = skipReason(row);
    if (skip) {
      await markSkipped(sql, row.id, skip);
      emit({ type: "skipped", kind: row.kind, reason: skip });
      return true;
    }
    let chatId: string;
    try {
      chatId = options.chatIds.decrypt(row.chat ?? "");
    } catch (error) {
      await markFailed(sql, row.id, error instanceof Error ? error.message : "unreadable chat id");
      emit({ type: "failed", kind: row.kind, reason: "chat id unreadable" });
      return true;
    }
    const locale = pickLocale(row.language_override, row.language);
    const rendered = renderNotification(
      {
        id: row.id,
        kind: row.kind,
        subjectId: row.subject_id,
        label: row.label,
        statusTo: row.status_to,
        etaMinutes: row.eta_minutes,
        comment: row.comment,
        trackingNumber: row.tracking_number,
        codStatus: row.cod_status,
        paid: row.paid,
        createdAt: new Date(row.created_at),
        firstName: row.first_name ?? "",
        timezone: row.timezone ?? "UTC",
      },
      locale,
      options.websiteUrl,
    );
    const quiet = inQuietHours(row.quiet_start, row.quiet_end, row.timezone ?? "UTC");
    await limiter();
    // Telegram asked to wait (429), maybe again while we wait. A row sent after its lease
    // may already have been taken and sent by another notifier: give it back (and the
    // customer's later rows with it) instead of waiting past the lease.
    for (let pause = pausedUntil - Date.now(); pause > 0; pause = pausedUntil - Date.now()) {
      if (performance.now() + pause > leaseEndsAt - leaseMarginMs) {
        await release(sql, [row.id]);
        return false;
      }
      await sleep(pause);
    }
    // Checked first: a backlog sends thousands a second, and the arguments cost even
    // when the line is not written.
    const debug = logger.isLevelEnabled("debug");
    if (debug) {
      logger.debug(
        { outboxId: row.id, kind: row.kind },
        "📱 Sending Telegram notification to customer...",
      );
    }
    try {
      const messageId = await sender.sendMessage({
        chatId,
        text: rendered.text,
        parseMode: "HTML",
        silent: quiet,
        keyboard: { inline_keyboard: [[{ text: rendered.buttonText, url: rendered.url }]] },
      });
      record({ id: row.id, messageId, at: new Date() });
      emit({
        type: "sent",
        kind: row.kind,
        latencyMs: Date.now() - row.created_at.getTime(),
      });
      if (logEach || debug) {
        logger[logEach ? "info" : "debug"](
          { outboxId: row.id, kind: row.kind },
          `✅ Telegram notification sent to ${row.first_name ?? ""} ${row.last_name ?? ""}`.trimEnd(),
        );
      }
      return true;
    } catch (error) {
      return settleFailure(row, error);
    }
  }

  /** Applies the failure policy's verdict; returns whether the customer's later rows follow. */
  async function settleFailure(row: ClaimedRow, error: unknown): Promise<boolean> {
    const verdict = classify(error, row, Date.now(), { maxAgeMs });
    switch (verdict.action) {
      case "pause":
        pausedUntil = Math.max(pausedUntil, Date.now() + verdict.retryAfterMs);
        await retryLater(sql, row.id, verdict.lastError, verdict.retryAfterMs);
        emit({ type: "retry", kind: row.kind, reason: "429" });
        logger.warn(
          { retryAfter: verdict.retryAfterMs / 1000 },
          "notifier: Telegram asks to slow down; pausing all sends",
        );
        return false;
      case "fatal":
        fatal = verdict.message;
        await retryLater(sql, row.id, verdict.lastError, 0);
        logger.fatal(fatal);
        return false;
      case "block":
        await markFailed(sql, row.id, verdict.lastError);
        if (verdict.chatBlocked) await markBlocked(sql, row.user_id);
        emit({ type: "failed", kind: row.kind, reason: "blocked" });
        logger.info(
          { outboxId: row.id },
          "notifier: the customer blocked the bot; no more messages to them",
        );
        // Their later rows go back, to be skipped as blocked by the next claim.
        return false;
      case "fail":
        await markFailed(sql, row.id, verdict.lastError);
        emit({ type: "failed", kind: row.kind, reason: verdict.reason });
        if (verdict.reason !== "too old") {
          logger.warn(
            { outboxId: row.id, description: verdict.lastError },
            "notifier: Telegram refused the message",
          );
        }
        return true;
      case "retry":
        await retryLater(sql, row.id, verdict.lastError, verdict.delayMs);
        emit({ type: "retry", kind: row.kind, reason: verdict.reason });
        return false;
    }
  }

  let slowTimer: NodeJS.Timeout | undefined;
  return {
    async start() {
      if (options.enabled === false) {
        logger.warn("notifier: TELEGRAM_CUSTOMER_BOT_ENABLED=false, sending nothing; events wait");
      }
      subscriber
        .connect()
        .then(() => subscriber.listenTo("telegram_outbox"))
        .catch((error: unknown) => {
          if (!stopped)
            logger.error({ err: error }, "notifier: could not LISTEN; draining on the timer only");
        });
      slowTimer = setInterval(kick, slowTimerMs);
      kick();
    },
    async stop({ timeoutMs = 8_000 } = {}) {
      stopped = true;
      if (slowTimer) clearInterval(slowTimer);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.race([draining ?? Promise.resolve(), sleep(timeoutMs)]);
      await subscriber.close().catch(() => {});
      await busyClient?.end().catch(() => {});
      sender.close();
      listening = false;
    },
    health: () => ({ listening, lastDrainAt, ...(fatal ? { fatal } : {}) }),
    drainNow: kick,
  };
}
