/**
 * What /healthz reports: one entry per running part, each checked when asked. The status
 * (see {@link summarize}) is `ok` (HTTP 200) when every part is `ok`, `standby` or
 * `disabled`; `degraded` (still 200: a restart would not help) when a part is up but
 * cannot do its work (`conflict`, `unreachable`, `unauthorized`, `unknown`, `behind`,
 * `foreign_webhook`, `plaintext_chat_ids`); `unhealthy`
 * (503) when any part reports an error. The `controls` part is what the operator set
 * (stage, beta percentage, pause): information, never a fault.
 */
import type postgres from "postgres";
import type { Controls, RolloutStage } from "./controls.ts";
import { explainMissing, findMissingObjects } from "./db/repair.ts";
import type { Logger } from "./log.ts";
import { readPlaintextWrites } from "./switch-over.ts";

/** A part that runs but cannot do its work; the words say why. */
export type Degraded =
  | "conflict"
  | "unreachable"
  | "unauthorized"
  | "unknown"
  | "behind"
  | "foreign_webhook"
  | "plaintext_chat_ids";

/** The operator controls as /healthz shows them (src/controls.ts). */
export interface ControlsHealth {
  stage: RolloutStage;
  beta_percent: number;
  paused: boolean;
  paused_since?: string;
}

/** One part of the service as /healthz reports it. */
export type PartHealth =
  | "ok"
  | "standby"
  | "disabled"
  | Degraded
  | { error: string }
  | ControlsHealth;

/** The overall status /healthz reports, and its HTTP code. */
export function summarize(parts: Health): {
  status: "ok" | "degraded" | "unhealthy";
  code: number;
} {
  const values = Object.values(parts).filter((p) => typeof p === "string" || "error" in p);
  if (values.some((p) => typeof p !== "string")) return { status: "unhealthy", code: 503 };
  if (values.every((p) => p === "ok" || p === "standby" || p === "disabled")) {
    return { status: "ok", code: 200 };
  }
  return { status: "degraded", code: 200 };
}

/** The health of each part, by name (`database`, `listener`, `bot`). */
export type Health = Record<string, PartHealth>;

/** Checks one part. */
export type PartCheck = () => PartHealth | Promise<PartHealth>;

/** The check of each part by name; `undefined` for a part that does not run. */
export type PartChecks = Record<string, PartCheck | undefined>;

/**
 * One check from the parts' checks, run together; the report lists the parts in the
 * order given and leaves out the parts that are `undefined` (not running).
 */
export function composeHealth(parts: Record<string, PartCheck | undefined>): () => Promise<Health> {
  const checks = Object.entries(parts).filter(
    (entry): entry is [string, PartCheck] => entry[1] !== undefined,
  );
  return async () => {
    const results = await Promise.all(checks.map(([, check]) => check()));
    return Object.fromEntries(checks.map(([name], i) => [name, results[i] as PartHealth]));
  };
}

/** The error /healthz shows when the database does not answer; the details go to the log. */
export const DATABASE_UNREACHABLE = "database unreachable";

/**
 * The database answers `SELECT 1` within `timeoutMs` (defaults to 2 seconds). A failure
 * is reported as {@link DATABASE_UNREACHABLE} (/healthz may be seen by anyone who can
 * reach the port); why it failed (host, port, role, PostgreSQL's message) is logged.
 */
export function databaseHealth(
  sql: postgres.Sql,
  options: { timeoutMs?: number; logger?: Pick<Logger, "warn"> } = {},
): PartCheck {
  const timeoutMs = options.timeoutMs ?? 2_000;
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        sql`SELECT 1`,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer in ${timeoutMs / 1000} s`)),
            timeoutMs,
          );
          timer.unref();
        }),
      ]);
      return "ok";
    } catch (error) {
      options.logger?.warn({ err: error }, `health: ${DATABASE_UNREACHABLE}`);
      return { error: DATABASE_UNREACHABLE };
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * The outbox: `behind` when an event due now has waited longer than `staleSeconds`
 * (defaults to 300) since the website's transaction, else `ok`; `unknown` when the query
 * fails (the `database` part says why). Events held by quiet hours or a retry's wait are
 * not due yet and do not count.
 */
export function backlogHealth(sql: postgres.Sql, staleSeconds = 300): PartCheck {
  return async () => {
    try {
      const [row] = await sql<[{ age: number }]>`
        SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age
          FROM telegram.outbox
         WHERE status = 'pending' AND (due_at IS NULL OR due_at <= now())`;
      return (row?.age ?? 0) > staleSeconds ? "behind" : "ok";
    } catch {
      return "unknown";
    }
  };
}

/**
 * The database check `reachable`, then our triggers, indexes, columns and constraint in
 * the website's tables and the website columns the bot reads (src/db/repair.ts): an
 * error naming what is missing and the fix, under the `database` part.
 */
export function schemaHealth(sql: postgres.Sql, reachable: PartCheck): PartCheck {
  return async () => {
    const health = await reachable();
    if (health !== "ok") return health;
    try {
      const missing = await findMissingObjects(sql);
      return missing.length === 0 ? "ok" : { error: explainMissing(missing) };
    } catch {
      // PostgreSQL's message may name the host or role: /healthz may be seen by anyone.
      return { error: "could not check the triggers (see npx tsx scripts/test-customer-bot.ts)" };
    }
  };
}

/** The notifier's LISTEN connection: up, reconnecting, or stopped by a fatal error. */
export function listenerHealth(notifier: {
  health(): { listening: boolean; fatal?: string };
}): PartCheck {
  return () => {
    const { listening, fatal } = notifier.health();
    if (fatal) return { error: fatal };
    return listening ? "ok" : { error: "not listening (reconnecting)" };
  };
}

/**
 * The LISTEN connection of the notifier that runs now; while none does, `standby` (another
 * instance sends), or an error before the sender's lock was first tried or when it cannot
 * be tried (no connection).
 */
export function currentListenerHealth(
  notifier: () => Parameters<typeof listenerHealth>[0] | undefined,
  sender: () => SenderState,
): PartCheck {
  return () => {
    const current = notifier();
    if (current) return listenerHealth(current)();
    const state = sender();
    if (state === "starting") return { error: "not listening (starting)" };
    if (state === "unreachable") return { error: "not listening (no database connection)" };
    return "standby";
  };
}

/** What src/notifier/leader.ts says of this instance, or `disabled` by the kill switch. */
export type SenderState =
  | "active"
  | "standby"
  | "unreachable"
  | "starting"
  | "stopped"
  | "disabled";

/**
 * The notifier of one instance among several (src/notifier/leader.ts): `ok` while this
 * instance sends, `standby` while another one does, `unknown` before the lock was first
 * tried or while it cannot be (the `database` part says why), `disabled` by the kill
 * switch.
 */
export function senderHealth(state: () => SenderState): PartCheck {
  const parts = {
    active: "ok",
    standby: "standby",
    stopped: "standby",
    unreachable: "unknown",
    starting: "unknown",
    disabled: "disabled",
  } as const;
  return () => parts[state()];
}

/**
 * The bot: `disabled` by the kill switch; in webhook mode `ok`; in polling mode `standby`
 * while another instance polls (or before the polling lock was first tried), else what
 * this instance's getUpdates last said: `ok`, `conflict` (409: a webhook is set or another
 * program polls), `unauthorized` (401), `unreachable`.
 */
export function botHealth(
  telegram: { enabled: boolean; mode: "polling" | "webhook" },
  pollingState: () => "leader" | "standby" | "stopped" | undefined,
  pollerState: () => "starting" | "ok" | Degraded | undefined = () => "ok",
): PartCheck {
  return () => {
    if (!telegram.enabled) return "disabled";
    if (telegram.mode === "webhook") return "ok";
    if (pollingState() !== "leader") return "standby";
    const state = pollerState();
    return state === undefined || state === "starting" ? "ok" : state;
  };
}

/** Whether the Bot API answered the last call this service made to it. */
export type TelegramReach = "ok" | "unreachable" | "unauthorized" | "unknown";

/** What the service last learned of Telegram, from any part that called it. */
export interface TelegramWatch {
  /** A call's outcome: Telegram answered (`ok`), refused the token, or could not be reached. */
  record(outcome: Exclude<TelegramReach, "unknown">): void;
  /** The last outcome (`unknown` before the first). */
  state(): TelegramReach;
  /** performance.now() of the last outcome, 0 before the first. */
  lastAt(): number;
  /** The `telegram` part of /healthz. */
  readonly check: PartCheck;
}

/**
 * Telegram reachability from what the parts see (the poller's getUpdates, the notifier's
 * sends, the periodic getMe of src/service.ts): the last outcome wins.
 */
export function watchTelegram(): TelegramWatch {
  let state: TelegramReach = "unknown";
  let at = 0;
  return {
    record(outcome) {
      state = outcome;
      at = performance.now();
    },
    state: () => state,
    lastAt: () => at,
    check: () => state,
  };
}

/** What a failed call to the Bot API says of Telegram's reachability. */
export function telegramOutcome(error: unknown): Exclude<TelegramReach, "unknown"> {
  const code = (error as { error_code?: unknown } | null)?.error_code;
  if (typeof code !== "number") return "unreachable";
  if (code === 401 || code === 404) return "unauthorized";
  return code >= 500 ? "unreachable" : "ok";
}

/**
 * Asks Telegram `getMe` now and every `everyMs` (defaults to 30 s) when no other call
 * recorded an outcome in that time (webhook mode, a standby, an idle notifier), each
 * call given up after `timeoutMs` (defaults to 10 s).
 */
export function probeTelegram(
  watch: TelegramWatch,
  getMe: (signal: AbortSignal) => Promise<unknown>,
  options: { everyMs?: number; timeoutMs?: number } = {},
): { stop(): void } {
  const everyMs = options.everyMs ?? 30_000;
  const probe = () => {
    if (watch.state() !== "unknown" && performance.now() - watch.lastAt() < everyMs) return;
    getMe(AbortSignal.timeout(options.timeoutMs ?? 10_000)).then(
      () => watch.record("ok"),
      (error: unknown) => watch.record(telegramOutcome(error)),
    );
  };
  probe();
  const timer = setInterval(probe, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * The switch-over from the website's own customer bot (src/switch-over.ts):
 * `foreign_webhook` while Telegram's webhook points at a URL that is not ours, else
 * `plaintext_chat_ids` when plaintext chat ids were written to users since
 * encrypt-chat-ids ran (the website's linker), else `ok`; `unknown` when the query fails.
 * The webhook first: it is what lets the website's linker work.
 */
export function switchOverHealth(sql: postgres.Sql, foreignWebhook: () => unknown): PartCheck {
  return async () => {
    if (foreignWebhook()) return "foreign_webhook";
    try {
      const writes = await readPlaintextWrites(sql);
      return writes && writes.count > 0 ? "plaintext_chat_ids" : "ok";
    } catch {
      return "unknown";
    }
  };
}

/**
 * The operator controls this instance follows: stage, beta percentage, whether
 * notifications are paused (and since when); `unknown` until first read (the `database`
 * part says why).
 */
export function controlsHealth(current: () => Controls | undefined): PartCheck {
  return () => {
    const c = current();
    if (!c) return "unknown";
    return {
      stage: c.stage,
      beta_percent: c.betaPercent,
      paused: c.pausedAt !== null,
      ...(c.pausedAt ? { paused_since: c.pausedAt.toISOString() } : {}),
    };
  };
}
