/**
 * "Standby takeover" benchmark: how long long polling stops when the instance that polls
 * dies (the README: a standby takes over "within a second or two").
 *
 *   npx tsx scripts/bench/takeover.ts [--kills 10] [--retry-ms <ms>]
 *
 * Set-up: an embedded PostgreSQL (or BENCH_DATABASE_URL) with the migrations; instances
 * are test/support/polling-child.ts processes, the service's polling leadership alone
 * (src/polling.ts with the service's default retry interval unless --retry-ms is given).
 * Each kill: a leader polls and a standby has found the lock taken at least once; after
 * a random pause in [0, retry interval) (so the kill falls anywhere in the standby's
 * retry cycle) the leader gets SIGKILL; the figure is SIGKILL → the standby printing
 * POLLING (its startPolling ran). A new standby is started for the next kill.
 * Prints each kill, then the median, 90th percentile and maximum.
 */
import { type PollingInstance, spawnPollingInstance } from "../../test/support/polling-instance.ts";
import { until } from "../../test/support/wait.ts";
import { parseBenchArgs } from "./lib/cli.ts";
import { startBenchDatabase } from "./lib/database.ts";
import { type BenchRow, formatTable, median, percentile } from "./lib/report.ts";

/** The service's default (src/polling.ts), for the pause before each kill. */
const DEFAULT_RETRY_MS = 2_000;

export async function benchTakeover(
  options: { kills?: number; retryMs?: number } = {},
): Promise<{ kills: Array<{ pauseMs: number; takeoverMs: number }>; rows: BenchRow[] }> {
  const count = options.kills ?? 10;
  const cycle = options.retryMs ?? DEFAULT_RETRY_MS;
  const database = await startBenchDatabase("takeover");
  const started: PollingInstance[] = [];
  const spawn = () => {
    const instance = spawnPollingInstance(database.url, options.retryMs);
    started.push(instance);
    return instance;
  };
  const kills: Array<{ pauseMs: number; takeoverMs: number }> = [];
  try {
    let leader = spawn();
    await until(() => leader.polling(), { timeoutMs: 60_000, what: "the first leader" });
    for (let i = 0; i < count; i++) {
      const standby = spawn();
      await until(() => standby.waitsBeforePolling().length > 0, {
        timeoutMs: 60_000,
        what: "the standby finding the lock taken",
      });
      const pauseMs = Math.random() * cycle;
      await new Promise((r) => setTimeout(r, pauseMs));
      let pollingAt = 0;
      standby.onLine = (line) => {
        if (line === "POLLING" && pollingAt === 0) pollingAt = performance.now();
      };
      const killedAt = performance.now();
      leader.child.kill("SIGKILL");
      await until(() => pollingAt, { timeoutMs: 60_000, everyMs: 5, what: "the takeover" });
      kills.push({ pauseMs, takeoverMs: pollingAt - killedAt });
      leader = standby;
    }
  } finally {
    for (const instance of started) instance.child.kill("SIGKILL");
    await database.stop();
  }
  const times = kills.map((k) => k.takeoverMs);
  const note = `${count} kills, standby retry every ${cycle} ms${options.retryMs === undefined ? " (the service's default)" : ""}`;
  return {
    kills,
    rows: [
      { name: "takeover after SIGKILL, median", value: median(times), unit: "ms", note },
      { name: "takeover after SIGKILL, p90", value: percentile(times, 90), unit: "ms" },
      {
        name: "takeover after SIGKILL, max",
        value: Math.max(...times),
        unit: "ms",
        // One retry interval, plus the reconnect and the query of the attempt that takes the lock.
        target: { op: "<=", value: cycle + 500 },
      },
    ],
  };
}

const values = parseBenchArgs(import.meta.url, {
  kills: { type: "string" },
  "retry-ms": { type: "string" },
});
const result = await benchTakeover({
  kills: values.kills === undefined ? undefined : Number(values.kills),
  retryMs: values["retry-ms"] === undefined ? undefined : Number(values["retry-ms"]),
});
console.log("| kill | pause before kill (ms) | SIGKILL → standby polls (ms) |");
console.log("|-----:|----------------------:|-----------------------------:|");
result.kills.forEach((k, i) => {
  console.log(
    `| ${i + 1} | ${Math.round(k.pauseMs)} | ${Math.round(k.takeoverMs).toLocaleString("en-US")} |`,
  );
});
console.log("");
console.log(formatTable(result.rows));
