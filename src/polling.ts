import pg from "pg";
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

/** Advisory lock key held by the instance that polls: ('tele', 3). */
export const POLLING_LOCK = [1952803941, 3] as const;

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
  /** Starts the wait between attempts (defaults to setTimeout); tests pass one to see the waits. */
  setTimer?: (callback: () => void, ms: number) => NodeJS.Timeout;
}): PollingLeader {
  const { logger } = options;
  const retryMs = options.retryMs ?? 2_000;
  let state: "leader" | "standby" | "stopped" = "standby";
  let stopped = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = (options.setTimer ?? setTimeout)(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const loop = (async () => {
    let announcedStandby = false;
    while (!stopped) {
      let connection: pg.Client | undefined;
      let poller: Poller | undefined;
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
        if (!rows[0]?.locked) {
          if (!announcedStandby) logger.info("polling: another instance polls; standing by");
          announcedStandby = true;
          await connection.end().catch(() => {});
          connection = undefined;
          await sleep(retryMs);
          continue;
        }
        announcedStandby = false;
        state = "leader";
        logger.info("polling: this instance polls Telegram for updates");
        poller = await options.startPolling();
        while (!stopped) {
          await sleep(retryMs);
          if (stopped) break;
          await connection.query("SELECT 1");
        }
      } catch (error) {
        if (!stopped) {
          logger.warn(
            { err: error },
            "polling: lost the database connection holding the polling lock",
          );
        }
        // A broken connection took the lock with it; do not talk to it again.
        broken = true;
      } finally {
        state = stopped ? "stopped" : "standby";
        if (poller) await poller.stop().catch(() => {});
        if (connection && !broken) {
          await connection
            .query("SELECT pg_advisory_unlock($1, $2)", [...POLLING_LOCK])
            .catch(() => {});
        }
        await connection?.end().catch(() => {});
      }
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
