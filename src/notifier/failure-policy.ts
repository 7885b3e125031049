import { GrammyError, HttpError } from "grammy";

/**
 * What to do with a message Telegram did not accept, by class of failure (grammY's
 * `withRetries` habits): a pure decision, no I/O; the caller applies it.
 *
 * - pause: 429, Telegram asks every send to wait `retry_after` seconds (1 when absent);
 *   the row is due again then.
 * - fatal: 401/404, the token is wrong; nothing more is sent until an operator fixes it.
 *   The row is due again at once (for when the token is fixed).
 * - block: 403, the row failed for good; when the description says the customer blocked
 *   the bot (or was deactivated, or kicked it) the chat is marked blocked.
 * - fail: 400 (chat not found, bad request), or a transient failure of an event older than
 *   `maxAgeMs`: failed for good; the customer's later rows follow.
 * - retry: 5xx, network and anything else: due again after a backoff with jitter.
 *
 * Every verdict but `fail` holds back the customer's later rows, so they never overtake.
 */
export type Verdict =
  | { action: "pause"; lastError: string; retryAfterMs: number }
  | { action: "fatal"; lastError: string; message: string }
  | { action: "block"; lastError: string; chatBlocked: boolean }
  | { action: "fail"; lastError: string; reason: "chat not found" | "bad request" | "too old" }
  | { action: "retry"; lastError: string; delayMs: number; reason: string };

/** What the policy reads of the failed row. */
export interface FailedRow {
  attempts: number;
  created_at: Date;
}

export interface FailurePolicy {
  /** Transient failures are retried until the event is this old. Defaults to 24 h. */
  maxAgeMs?: number;
  /** A number in [0, 1) for the backoff's jitter. Defaults to Math.random. */
  random?: () => number;
}

/** The operator's one line when Telegram refuses the token. */
export const TOKEN_REFUSED =
  "Telegram refused TELEGRAM_CUSTOMER_BOT_TOKEN (401 Unauthorized): copy it again from @BotFather";

const DAY_MS = 24 * 3600 * 1000;

/** Decides what to do with `row` after `error`, at `now` (ms since the epoch). */
export function classify(
  error: unknown,
  row: FailedRow,
  now: number,
  policy: FailurePolicy = {},
): Verdict {
  if (error instanceof GrammyError) {
    const description = error.description;
    switch (error.error_code) {
      case 429:
        return {
          action: "pause",
          lastError: description,
          retryAfterMs: (error.parameters.retry_after ?? 1) * 1000,
        };
      case 401:
      case 404:
        return { action: "fatal", lastError: description, message: TOKEN_REFUSED };
      case 403:
        return {
          action: "block",
          lastError: description,
          chatBlocked: /blocked|deactivated|kicked/i.test(description),
        };
      case 400:
        return {
          action: "fail",
          lastError: description,
          reason: /chat not found/i.test(description) ? "chat not found" : "bad request",
        };
    }
  }
  const reason =
    error instanceof GrammyError
      ? `${error.error_code} ${error.description}`
      : error instanceof HttpError
        ? "network error"
        : String(error);
  if (now - row.created_at.getTime() > (policy.maxAgeMs ?? DAY_MS)) {
    return {
      action: "fail",
      lastError: `gave up after ${row.attempts} attempts: ${reason}`,
      reason: "too old",
    };
  }
  return {
    action: "retry",
    lastError: reason,
    delayMs: retryDelay(row.attempts, (policy.random ?? Math.random)()),
    reason: error instanceof GrammyError ? String(error.error_code) : "network",
  };
}

/**
 * The wait before a transient failure's next attempt: 500 ms doubling per attempt up to
 * 60 s, times a jitter between 0.75 and 1.25 (`random` in [0, 1)).
 */
export function retryDelay(attempts: number, random: number): number {
  return Math.min(60_000, 500 * 2 ** Math.min(attempts, 7)) * (0.75 + random / 2);
}
