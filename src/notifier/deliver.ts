import type postgres from "postgres";
import type { Logger } from "../log.ts";
import { reachedTail } from "./claim-lead.ts";
import type { DeliverBatch } from "./drain.ts";
import { type MergedRow, mergeSameFile } from "./merge.ts";
import {
  type ClaimedRow,
  idsOf,
  markSentMany,
  release,
  type SentRow,
  settleLike,
} from "./outbox.ts";
import type { Semaphore } from "./pacing.ts";
import type { SendRow } from "./send-row.ts";
import { type RunState, running } from "./state.ts";

/** Sent rows recorded per UPDATE, at most. */
const FLUSH_ROWS = 32;
/** How long a sent row may wait to be recorded, at most, with no send cap. */
const FLUSH_MS = 5;
/**
 * The same under a send cap. Its sends are 1/cap apart (33 ms at 30/s), so 5 ms gathered
 * one row per UPDATE: a round trip, a commit and 0.5–0.8 ms of the server's CPU for each
 * message, beside the website's writes. A tenth of a second gathers about cap ÷ 10 (3 at
 * 30/s); a crash before they are recorded sends those again. 250 ms (8 at 30/s) saved
 * little more and repeated up to 5 messages per SIGKILL at 20/s (docs/benchmarks.md).
 */
const CAPPED_FLUSH_MS = 100;
/** Claimed batches up to this size log every send at info; bigger ones log a summary. */
const LOG_EACH_UP_TO = 10;

export interface DeliveryOptions {
  sql: postgres.Sql;
  logger: Logger;
  state: RunState;
  /** Customers sent to at once. */
  concurrency: number;
  /**
   * `concurrency` slots shared across batches: a batch's chains queue behind the previous
   * batch's last ones instead of waiting for all of them to finish.
   */
  slots: Semaphore;
  sendRow: SendRow;
  /** The send cap (messages per second, 0 = none): sets how long sent rows wait to be recorded together. */
  maxPerSecond: number;
}

/**
 * Sends a claimed batch: each customer's rows one after the other, in order, up to
 * `concurrency` customers at once. When a row is not settled (retry later), the
 * customer's later rows are given back so they never overtake it. Rows Telegram
 * accepted are marked sent together, in one UPDATE per chunk. `onTail` is called once,
 * when the batch's end is near (claim-lead.ts), so the next claim overlaps its sending.
 */
export function createDelivery(options: DeliveryOptions): DeliverBatch {
  const { sql, logger, state, concurrency, slots, sendRow } = options;
  const flushMs = options.maxPerSecond > 0 ? CAPPED_FLUSH_MS : FLUSH_MS;

  return async function deliverBatch(rows, onTail, leaseEndsAt) {
    // Each send gets its own info line in a small batch; a big one (a backlog) gets one
    // summary line, and the per-message lines go to debug: thousands of lines a second
    // cost a tenth of the notifier's CPU and bury everything else.
    const logEach = rows.length <= LOG_EACH_UP_TO;
    const startedAt = performance.now();
    const chains = byCustomer(rows);
    const sent = createSentLog(sql, logger, flushMs);
    let waiting = chains.size;
    let started = 0;
    let tailed = false;
    const tail = () => {
      if (tailed) return;
      const elapsed = performance.now() - startedAt;
      if (reachedTail(rows.length, started, waiting, concurrency, elapsed, state.lastClaimMs)) {
        tailed = true;
        onTail();
      }
    };
    await Promise.all(
      [...chains.values()].map(async (chain) => {
        await slots.acquire();
        try {
          waiting--;
          const messages = mergeSameFile(chain);
          for (let i = 0; i < messages.length; i++) {
            const { row, also } = messages[i] as MergedRow;
            started += 1 + also.length;
            tail();
            // A merged message is recorded as sent for every row it stands for.
            let recorded = false;
            const record =
              also.length === 0
                ? sent.record
                : (entry: SentRow) => {
                    recorded = true;
                    for (const r of [row, ...also]) sent.record({ ...entry, id: r.id });
                  };
            const settled = running(state) && (await sendRow(row, record, logEach, leaseEndsAt));
            // Settled unsent (refused for good, skipped): so is every row it stood for.
            if (settled && also.length > 0 && !recorded) await settleLike(sql, row.id, idsOf(also));
            if (!settled) {
              const rest = messages.slice(i + (running(state) ? 1 : 0));
              await release(
                sql,
                idsOf([
                  ...(running(state) ? also : []),
                  ...rest.flatMap((m) => [m.row, ...m.also]),
                ]),
              );
              return;
            }
          }
        } finally {
          slots.release();
        }
      }),
    );
    await sent.flush();
    if (!logEach && sent.accepted() > 0) {
      logger.info(
        {
          sent: sent.accepted(),
          claimed: rows.length,
          ms: Math.round(performance.now() - startedAt),
        },
        `✅ ${sent.accepted()} Telegram notifications sent`,
      );
    }
  };
}

/** A batch's rows by customer, each customer's in claim order. */
function byCustomer(rows: readonly ClaimedRow[]): Map<string, ClaimedRow[]> {
  const chains = new Map<string, ClaimedRow[]>();
  for (const row of rows) {
    const chain = chains.get(row.user_id);
    if (chain) chain.push(row);
    else chains.set(row.user_id, [row]);
  }
  return chains;
}

/**
 * Accepted rows, recorded in chunks: at most FLUSH_ROWS, at most `flushMs` later. A crash
 * before a chunk commits sends those rows again (at least once, never lost).
 */
function createSentLog(sql: postgres.Sql, logger: Logger, flushMs: number) {
  const sent: SentRow[] = [];
  let accepted = 0;
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
  return {
    record(entry: SentRow): void {
      accepted++;
      sent.push(entry);
      if (sent.length >= FLUSH_ROWS) void flush();
      else timer ??= setTimeout(flush, flushMs);
    },
    /** Records what is left; resolves when every chunk so far is recorded (or failed). */
    flush,
    accepted: () => accepted,
  };
}
