import pg from "pg";
import { POLLING_LOCK } from "./db/locks.ts";
import type { Logger } from "./log.ts";

/** What the leader runs while it holds the lock: started once, stopped on loss or shutdown. */
export interface Poller {
  stop(): Promise<void>;
}

/** Long-polling leadership: Telegram allows one getUpdates caller per bot token. */
export interface PollingLeader {
  /** `leader` while this instance polls, `standby` while another one does. */
  state(): "leader" | "standby" | "stopped";
  stop(): Promise<void>;
}

/** Options for {@link startPollingLeader}. */
export interface PollingLeaderOptions {
  /** The lock lives on a connection of its own, opened from this URL. */
  databaseUrl: string;
  logger: Logger;
  startPolling: () => Poller | Promise<Poller>;
  /** Defaults to 2 seconds. */
  retryMs?: number;
  /** Starts the wait between attempts (defaults to setTimeout); tests pass one to see the waits. */
  setTimer?: (callback: () => void, ms: number) => NodeJS.Timeout;
}

/** The leader's loop as its terms see it. */
interface Run {
  readonly options: PollingLeaderOptions;
  readonly retryMs: number;
  state: "leader" | "standby" | "stopped";
  stopped: boolean;
  /** Ends the current sleep at once (on stop). */
  wake: (() => void) | undefined;
}

/**
 * Takes the polling lock (a session advisory lock on a connection of its own) and runs
 * `startPolling` while it holds it. Other instances wait as hot standby and retry every
 * `retryMs`; when the leader dies its connection closes, the lock is freed and a standby
 * takes over. A leader that loses its connection stops polling at once.
 */
export function startPollingLeader(options: PollingLeaderOptions): PollingLeader {
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
      if (outcome === "standby" && !announcedStandby) {
        options.logger.info("polling: another instance polls; standing by");
      }
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
 * One term: takes the lock if it is free and polls until the connection is lost or the
 * leader stops. `led` once it held the lock, `standby` when another instance holds it,
 * `failed` when the lock could not be tried (no connection).
 */
async function term(run: Run): Promise<"standby" | "led" | "failed"> {
  const { options } = run;
  let connection: pg.Client | undefined;
  let poller: Poller | undefined;
  let locked = false;
  let broken = false;
  try {
    connection = new pg.Client({
      connectionString: options.databaseUrl,
      application_name: "compucar-customer-bot polling lock",
    });
    connection.on("error", () => {});
    await connection.connect();
    const { rows } = await connection.query<{ locked: boolean }>(
      "SELECT pg_try_advisory_lock($1, $2) AS locked",
      [...POLLING_LOCK],
    );
    locked = rows[0]?.locked === true;
    if (!locked) return "standby";
    run.state = "leader";
    options.logger.info("polling: this instance polls Telegram for updates");
    poller = await options.startPolling();
    while (!run.stopped) {
      await sleep(run, run.retryMs);
      if (run.stopped) break;
      await connection.query("SELECT 1");
    }
    return "led";
  } catch (error) {
    if (!run.stopped) {
      options.logger.warn(
        { err: error },
        "polling: lost the database connection holding the polling lock",
      );
    }
    // A broken connection took the lock with it; do not talk to it again.
    broken = true;
    return locked ? "led" : "failed";
  } finally {
    run.state = run.stopped ? "stopped" : "standby";
    if (poller) await poller.stop().catch(() => {});
    if (connection && locked && !broken) {
      await connection
        .query("SELECT pg_advisory_unlock($1, $2)", [...POLLING_LOCK])
        .catch(() => {});
    }
    await connection?.end().catch(() => {});
  }
}
