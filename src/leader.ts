import pg from "pg";
import type { Logger } from "./log.ts";

/** What the leader runs while it holds the lock: started once, stopped on loss or shutdown. */
export interface Term {
  stop(): Promise<void>;
}

/** One instance of several doing a job only one may do at a time. */
export interface Leader {
  /** `leader` while this instance holds the lock, `standby` while another one does. */
  state(): "leader" | "standby" | "stopped";
  stop(): Promise<void>;
}

/** Options for {@link startLeader}. */
export interface LeaderOptions {
  /** The lock lives on a connection of its own, opened from this URL. */
  databaseUrl: string;
  /** The session advisory lock (src/db/locks.ts). */
  lock: readonly [number, number];
  /** The lock connection's application_name (what a DBA sees in pg_stat_activity). */
  connectionName: string;
  /** The log lines: this instance leads, another one does, the lock's connection is lost. */
  lines: { lead: string; standby: string; lost: string };
  logger: Logger;
  /** Runs while this instance holds the lock. */
  lead: () => Term | Promise<Term>;
  /** Between two attempts of a standby, and two checks of the leader's connection. Defaults to 2 seconds. */
  retryMs?: number;
  /** After each term: `led` once it held the lock, `standby` when another instance holds it, `failed` when the lock could not be tried (no connection). */
  onTerm?: (outcome: "led" | "standby" | "failed") => void;
  /** Starts the wait between attempts (defaults to setTimeout); tests pass one to see the waits. */
  setTimer?: (callback: () => void, ms: number) => NodeJS.Timeout;
}

/** The leader's loop as its terms see it. */
interface Run {
  readonly options: LeaderOptions;
  readonly retryMs: number;
  state: "leader" | "standby" | "stopped";
  stopped: boolean;
  /** Ends the current sleep at once (on stop). */
  wake: (() => void) | undefined;
}

/**
 * Takes `lock` (a session advisory lock on a connection of its own) and runs `lead`
 * while it holds it. Other instances wait as hot standby and retry every `retryMs`; when
 * the leader dies its connection closes, the lock is freed and a standby takes over. A
 * leader that loses its connection stops its term at its next check.
 */
export function startLeader(options: LeaderOptions): Leader {
  const run: Run = {
    options,
    retryMs: options.retryMs ?? 2_000,
    state: "standby",
    stopped: false,
    wake: undefined,
  };
  const loop = (async () => {
    let announcedStandby = false;
    while (!run.stopped) {
      const outcome = await term(run);
      options.onTerm?.(outcome);
      if (outcome === "standby" && !announcedStandby) options.logger.info(options.lines.standby);
      if (outcome !== "failed") announcedStandby = outcome === "standby";
      if (!run.stopped) await sleep(run, run.retryMs);
    }
    run.state = "stopped";
  })();

  return {
    state: () => run.state,
    async stop() {
      run.stopped = true;
      run.wake?.();
      await loop;
    },
  };
}

function sleep(run: Run, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = (run.options.setTimer ?? setTimeout)(resolve, ms);
    run.wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

/**
 * One term: takes the lock if it is free and leads until the connection is lost or the
 * leader stops. `led` once it held the lock, `standby` when another instance holds it,
 * `failed` when the lock could not be tried (no connection).
 */
async function term(run: Run): Promise<"standby" | "led" | "failed"> {
  const { options } = run;
  let connection: pg.Client | undefined;
  let job: Term | undefined;
  let locked = false;
  let broken = false;
  try {
    connection = new pg.Client({
      connectionString: options.databaseUrl,
      application_name: options.connectionName,
    });
    connection.on("error", () => {});
    await connection.connect();
    const { rows } = await connection.query<{ locked: boolean }>(
      "SELECT pg_try_advisory_lock($1, $2) AS locked",
      [...options.lock],
    );
    locked = rows[0]?.locked === true;
    if (!locked) return "standby";
    // A connection that drops (the server ended the session) ends the term now, not at the next check.
    connection.once("end", () => {
      if (!broken && !run.stopped) run.wake?.();
    });
    run.state = "leader";
    options.logger.info(options.lines.lead);
    job = await options.lead();
    while (!run.stopped) {
      await sleep(run, run.retryMs);
      if (run.stopped) break;
      await connection.query("SELECT 1");
    }
    return "led";
  } catch (error) {
    if (!run.stopped) options.logger.warn({ err: error }, options.lines.lost);
    // A broken connection took the lock with it; do not talk to it again.
    broken = true;
    return locked ? "led" : "failed";
  } finally {
    run.state = run.stopped ? "stopped" : "standby";
    if (job) await job.stop().catch(() => {});
    if (connection && locked && !broken) {
      await connection
        .query("SELECT pg_advisory_unlock($1, $2)", [...options.lock])
        .catch(() => {});
    }
    await connection?.end().catch(() => {});
  }
}
