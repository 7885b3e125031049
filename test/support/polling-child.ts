/**
 * A service instance reduced to its polling leadership, for tests and the takeover bench
 * that kill processes: node --import tsx polling-child.ts <database url> [retry ms]
 * Prints STARTED, then POLLING / STOPPED as it starts and stops polling, `WAIT <ms>` each
 * time it starts a wait between two attempts (a standby prints one per attempt that found
 * the lock taken) and WOKE when the wait is over (a standby's next attempt begins).
 */
import { createLogger } from "../../src/log.ts";
import { startPollingLeader } from "../../src/polling.ts";

const [databaseUrl, retry] = process.argv.slice(2);
if (!databaseUrl) throw new Error("usage: polling-child.ts <database url> [retry ms]");
startPollingLeader({
  databaseUrl,
  logger: createLogger("silent"),
  retryMs: retry === undefined ? undefined : Number(retry),
  setTimer: (callback, ms) => {
    process.stdout.write(`WAIT ${ms}\n`);
    return setTimeout(() => {
      process.stdout.write("WOKE\n");
      callback();
    }, ms);
  },
  startPolling: () => {
    process.stdout.write("POLLING\n");
    return { stop: async () => void process.stdout.write("STOPPED\n") };
  },
});
process.stdout.write("STARTED\n");
