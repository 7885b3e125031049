import type postgres from "postgres";
import { NOTIFIER_LOCK } from "../db/locks.ts";
import { startLeader } from "../leader.ts";
import type { Logger } from "../log.ts";
import type { Notifier } from "./notifier.ts";

/** One sender across instances: this instance's share of it. */
export interface NotifierLeader {
  /**
   * `active` while this instance sends, `standby` while another one does, `unreachable`
   * while the lock cannot be tried (no database connection), `starting` before the first
   * attempt is over.
   */
  state(): "active" | "standby" | "unreachable" | "starting" | "stopped";
  /** The notifier while this instance is active. */
  current(): Notifier | undefined;
  /** Stops sending (the notifier finishes its sends in flight) and gives the lock back. */
  stop(): Promise<void>;
}

/** Options for {@link startNotifierLeader}. */
export interface NotifierLeaderOptions {
  sql: postgres.Sql;
  /** The lock's connection is opened from this URL (a direct one, not a pooler's). */
  databaseUrl: string;
  logger: Logger;
  /** A new notifier, for each term of this instance as the sender. */
  create: () => Notifier;
  /** Called with true when this instance starts sending, false when it stops. */
  onChange?: (active: boolean) => void;
  /** How often a standby tries the lock. Defaults to 1 second. */
  retryMs?: number;
  /** How long a stopping notifier may finish its sends in flight. Defaults to 2.5 s. */
  stopTimeoutMs?: number;
}

/**
 * Runs the notifier in one instance at a time, so the send budget (NOTIFY_MAX_PER_SECOND)
 * is the whole bot's, not each instance's: the sender holds a session advisory lock
 * (NOTIFIER_LOCK) on a connection of its own; the others stand by, try it every
 * `retryMs`, and one takes over when the sender's connection closes (PostgreSQL frees a
 * session's locks when it ends, also after SIGKILL). Before it sends, the new sender frees
 * the leases its predecessor left (it alone sends now): those rows go out at once instead of
 * when their lease expires, and a row whose send was in flight at a crash may go twice.
 */
export function startNotifierLeader(options: NotifierLeaderOptions): NotifierLeader {
  let current: Notifier | undefined;
  let reached = true;
  let decided = false;
  const leader = startLeader({
    databaseUrl: options.databaseUrl,
    lock: NOTIFIER_LOCK,
    connectionName: "compucar-customer-bot notifier lock",
    lines: {
      lead: "notifier: this instance is the active sender; sending notifications",
      standby: "notifier: another instance sends notifications; standing by",
      lost: "notifier: lost the database connection holding the sender lock; stopped sending",
    },
    logger: options.logger,
    retryMs: options.retryMs ?? 1_000,
    onTerm: (outcome) => {
      // A term that led ended with its connection (or the service): reachable is unknown.
      reached = outcome === "standby";
      decided = true;
    },
    lead: async () => {
      decided = true;
      const freed = await releaseLeases(options.sql);
      if (freed > 0) {
        options.logger.info({ rows: freed }, "notifier: released the leases of the last sender");
      }
      const notifier = options.create();
      current = notifier;
      options.onChange?.(true);
      await notifier.start();
      return {
        async stop() {
          reached = false;
          current = undefined;
          options.onChange?.(false);
          await notifier.stop({ timeoutMs: options.stopTimeoutMs ?? 2_500 });
        },
      };
    },
  });
  return {
    state: () => {
      const state = leader.state();
      if (state === "leader") return "active";
      if (state === "stopped") return state;
      if (!decided) return "starting";
      return reached ? "standby" : "unreachable";
    },
    current: () => current,
    stop: () => leader.stop(),
  };
}

/** Frees every lease of a pending row; returns how many. Only the lock holder may. */
async function releaseLeases(sql: postgres.Sql): Promise<number> {
  const freed = await sql`
    UPDATE telegram.outbox SET locked_until = NULL, locked_by = NULL
     WHERE status = 'pending' AND locked_until > now()`;
  return freed.count;
}
