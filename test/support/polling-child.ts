/** A service instance reduced to its polling leadership, for tests that kill processes. */
import { createLogger } from "../../src/log.ts";
import { startPollingLeader } from "../../src/polling.ts";

const databaseUrl = process.argv[2];
if (!databaseUrl) throw new Error("usage: polling-child.ts <database url>");
startPollingLeader({
  databaseUrl,
  logger: createLogger("silent"),
  retryMs: 500,
  startPolling: () => {
    process.stdout.write("POLLING\n");
    return { stop: async () => void process.stdout.write("STOPPED\n") };
  },
});
process.stdout.write("STARTED\n");
