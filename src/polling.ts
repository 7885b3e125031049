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

/**
 * Takes the polling lock (a session advisory lock on a connection of its own) and runs
 * `startPolling` while it holds it. Other instances wait as hot standby and retry every
 * `retryMs`; when the leader dies its connection closes, the lock is freed and a standby
 * takes over. A leader that loses its connection stops polling at once.
 */
export function startPollingLeader(options: {
  /** The lock lives on a connection of its own, opened from this URL. */
  databaseUrl: string;
  logger: Logger;
  startPolling: () => Poller | Promise<Poller>;
  /** Defaults to 2 seconds. */
  retryMs?: number;
}): PollingLeader {
  const { logger } = options;
  const retryMs = options.retryMs ?? 2_000;
  let state: "leader" | "standby" | "stopped" = "standby";
  let stopped = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /**
   * One term: takes the lock if it is free and polls until the connection is lost or
   * the leader stops. `led` once it held the lock, `standby` when another instance holds
   * it, `failed` when the lock could not be tried (no connection).
   */
  const term = async (): Promise<"standby" | "led" | "failed"> => {
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
      state = "leader";
      logger.info("polling: this instance polls Telegram for updates");
      poller = await options.startPolling();
      while (!stopped) {
        await sleep(retryMs);
        if (stopped) break;
        await connection.query("SELECT 1");
      }
      return "led";
    } catch (error) {
      if (!stopped) {
        logger.warn(
          { err: error },
          "polling: lost the database connection holding the polling lock",
        );
      }
      // A broken connection took the lock with it; do not talk to it again.
      broken = true;
      return locked ? "led" : "failed";
    } finally {
      state = stopped ? "stopped" : "standby";
      if (poller) await poller.stop().catch(() => {});
      if (connection && locked && !broken) {
        await connection
          .query("SELECT pg_advisory_unlock($1, $2)", [...POLLING_LOCK])
          .catch(() => {});
      }
      await connection?.end().catch(() => {});
    }
  };

  const loop = (async () => {
    let announcedStandby = false;
    while (!stopped) {
      const outcome = await term();
      if (outcome === "standby" && !announcedStandby) {
        logger.info("polling: another instance polls; standing by");
      }
      if (outcome !== "failed") announcedStandby = outcome === "standby";
      if (!stopped) await sleep(retryMs);
    }
    state = "stopped";
  })();

  return {
    state: () => state,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
