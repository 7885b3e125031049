/**
 * The operator controls (telegram.controls, migrations 000017 and 000018): the rollout
 * stage, the beta percentage and the pause, as the running service sees them. The
 * database is the truth and acts at once (the claim leases nothing while paused and skips
 * customers the stage leaves out; linking asks telegram.in_rollout); this copy lets the
 * notifier stop sending a batch it already holds, wakes it on resume, and feeds /healthz,
 * the metrics and the log. Changed by scripts/rollout.ts, scripts/notifications.ts or a
 * plain UPDATE, each audited and announced on the channel telegram_controls.
 */
import { userInfo } from "node:os";
import postgres from "postgres";
import type { Logger } from "./log.ts";

/** Who is notified and may link: staff and the internal list, also beta customers, or all. */
export const ROLLOUT_STAGES = ["internal", "beta", "everyone"] as const;
export type RolloutStage = (typeof ROLLOUT_STAGES)[number];

/** The one row of telegram.controls. */
export interface Controls {
  stage: RolloutStage;
  /** 0..100: the share of other customers in the beta stage. */
  betaPercent: number;
  /** Notifications paused since then; null while they run. */
  pausedAt: Date | null;
  pausedReason: string | null;
  changedAt: Date;
  changedBy: string;
}

/** Reads telegram.controls (the defaults when its row is gone: everyone, running). */
export async function readControls(sql: postgres.Sql): Promise<Controls> {
  const [row] = await sql<[Controls?]>`
    SELECT rollout_stage AS stage, beta_percent AS "betaPercent", paused_at AS "pausedAt",
           paused_reason AS "pausedReason", changed_at AS "changedAt", changed_by AS "changedBy"
      FROM telegram.controls`;
  return (
    row ?? {
      stage: "everyone",
      betaPercent: 0,
      pausedAt: null,
      pausedReason: null,
      changedAt: new Date(0),
      changedBy: "",
    }
  );
}

/** Customers the stage lets in, and how many of them have linked a chat. */
// At stage everyone (the default) no customer is looked up one by one: in_rollout costs
// about 27 µs a call (6,000 customers: 164 ms in the status-page bench).
export async function countInStage(
  sql: postgres.Sql,
): Promise<{ customers: number; linked: number; total: number }> {
  const [row] = await sql<[{ customers: number; linked: number; total: number }]>`
    SELECT count(*) FILTER (WHERE s.inside)::int AS customers,
           count(*) FILTER (WHERE s.inside AND s.linked)::int AS linked,
           count(*)::int AS total
      FROM (SELECT c.rollout_stage = 'everyone' OR telegram.in_rollout(u.id) AS inside,
                   u."telegramChatId" IS NOT NULL AS linked
              FROM public.users u CROSS JOIN telegram.controls c) s`;
  return row as { customers: number; linked: number; total: number };
}

/** The controls in one line, for the log and the scripts: "beta (10 %), paused since …". */
export function describeControls(c: Controls): string {
  const stage = c.stage === "beta" ? `beta (${c.betaPercent} %)` : c.stage;
  const pause = c.pausedAt
    ? `notifications paused since ${c.pausedAt.toISOString()}${c.pausedReason ? ` (${c.pausedReason})` : ""}`
    : "notifications running";
  return `rollout stage ${stage}; ${pause}`;
}

/** The actor of an operator's change in telegram.control_audit: `operator:<os user>`. */
export function operatorActor(): string {
  try {
    return `operator:${userInfo().username}`;
  } catch {
    return "operator:unknown";
  }
}

/** Thrown to roll back a dry run's transaction after its effects were read. */
class DryRun extends Error {}

/**
 * Runs `change` in one transaction as `actor` (telegram.actor, so the audit rows name the
 * operator) with `detail` (telegram.audit_detail). `dryRun`: the same transaction,
 * rolled back once `change` has returned, so what it read back is what would happen.
 */
export async function changeControls<T>(
  sql: postgres.Sql,
  options: { actor: string; detail: string; dryRun?: boolean },
  change: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  try {
    await sql.begin(async (tx) => {
      await tx`SELECT set_config('telegram.actor', ${options.actor}, true),
                      set_config('telegram.audit_detail', ${options.detail}, true)`;
      result = await change(tx);
      if (options.dryRun) throw new DryRun();
    });
  } catch (error) {
    if (!(error instanceof DryRun)) throw error;
  }
  return result as T;
}

/** The controls as a running service follows them. */
export interface ControlsWatch {
  /** The last controls read; undefined until the first read succeeded. */
  current(): Controls | undefined;
  /** Whether notifications are paused (false until known: the database gates them anyway). */
  paused(): boolean;
  /** Called after each change seen (not for the first read), with the controls before. */
  onChange(listener: (now: Controls, before: Controls) => void): void;
  /** Reads now; resolves once read (or failed, logged). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

export interface ControlsWatchOptions {
  /** For the reads. */
  sql: postgres.Sql;
  /** For LISTEN telegram_controls: a connection of its own (DATABASE_DIRECT_URL's rule). */
  databaseUrl: string;
  logger: Logger;
  /** Re-read this often even without a NOTIFY. Defaults to 5 s. */
  refreshMs?: number;
}

/**
 * Follows telegram.controls: read at start, on every NOTIFY telegram_controls (each
 * change of the controls or the allow-lists), on every (re)connect of the LISTEN, and
 * every `refreshMs` as a fallback, so a change is seen within seconds even when a
 * NOTIFY is lost. Resolves after the first read (a failure is logged; it keeps trying).
 */
export async function watchControls(options: ControlsWatchOptions): Promise<ControlsWatch> {
  const { sql, logger } = options;
  let current: Controls | undefined;
  let failing = false;
  let stopped = false;
  const listeners: Array<(now: Controls, before: Controls) => void> = [];
  const refresh = async () => {
    if (stopped) return;
    try {
      const next = await readControls(sql);
      const before = current;
      current = next;
      if (failing) logger.info("controls: read again");
      failing = false;
      if (before && !sameControls(before, next)) {
        logger.info({ changedBy: next.changedBy }, `controls: ${describeControls(next)}`);
        for (const listener of listeners) listener(next, before);
      }
    } catch (error) {
      if (!failing) logger.warn({ err: error }, "controls: could not read telegram.controls");
      failing = true;
    }
  };
  const listener = postgres(options.databaseUrl, {
    max: 1,
    onnotice: () => {},
    connection: { application_name: "compucar-customer-bot controls" },
  });
  // postgres.js listens again after a reconnect and calls onlisten each time: re-read then.
  const listening = listener
    .listen(
      "telegram_controls",
      () => void refresh(),
      () => void refresh(),
    )
    .catch((error: unknown) => {
      logger.warn(
        { err: error },
        "controls: LISTEN telegram_controls failed; re-reading on a timer",
      );
    });
  const timer = setInterval(() => void refresh(), options.refreshMs ?? 5_000);
  timer.unref();
  await refresh();
  return {
    current: () => current,
    paused: () => current?.pausedAt != null,
    onChange: (fn) => {
      listeners.push(fn);
    },
    refresh,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await listening;
      await listener.end({ timeout: 2 });
    },
  };
}

function sameControls(a: Controls, b: Controls): boolean {
  return (
    a.stage === b.stage &&
    a.betaPercent === b.betaPercent &&
    a.pausedAt?.getTime() === b.pausedAt?.getTime() &&
    a.pausedReason === b.pausedReason
  );
}
