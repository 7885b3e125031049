/**
 * `npm run bench`: every benchmark, one after the other (they share two cores, so never
 * at once), then one table: each figure, its target, the peer's figure (graphile-worker
 * for the pipeline and the website's writes; a bot that only replies for the bot), and
 * ours ÷ peer. Exits 1, with ✗ on the row, when a figure misses its target or loses to
 * the peer where it must not.
 *
 *   npm run bench [-- --only writes,pipeline,service,bot,idle,status] [--quick] [--markdown FILE]
 *
 * --quick: shorter runs (a smoke test of the harness, not figures to quote).
 * --markdown FILE: also writes the table (and the notes under it) to FILE.
 * --help: this text. Each part is also a script of its own (scripts/bench/*.ts, each with
 * --help): writes = website-writes.ts, pipeline and service = pipeline.ts, bot = bot.ts,
 * idle = idle.ts, status = status-page.ts.
 */
import { writeFile } from "node:fs/promises";
import os from "node:os";
import { benchBot } from "./bot.ts";
import { benchIdle } from "./idle.ts";
import { parseBenchArgs } from "./lib/cli.ts";
import { type BenchRow, formatTable, passes } from "./lib/report.ts";
import { benchPipeline } from "./pipeline.ts";
import { benchStatusPage } from "./status-page.ts";
import { benchWebsiteWrites } from "./website-writes.ts";

const PARTS = ["writes", "pipeline", "service", "bot", "idle", "status"] as const;
type Part = (typeof PARTS)[number];

const values = parseBenchArgs(import.meta.url, {
  only: { type: "string" },
  quick: { type: "boolean", default: false },
  markdown: { type: "string" },
});
const only = (values.only?.split(",") ?? PARTS) as Part[];
const unknown = only.filter((p) => !PARTS.includes(p));
if (unknown.length > 0) {
  console.error(`--only takes ${PARTS.join(", ")} (not ${unknown.join(", ")})`);
  process.exit(2);
}
const quick = values.quick;
const log = (line: string) => console.log(`  ${line}`);
const started = Date.now();
const rows: BenchRow[] = [];
const failures: string[] = [];

async function part(name: Part, run: () => Promise<BenchRow[]>): Promise<void> {
  if (!only.includes(name)) return;
  console.log(`\n== ${name}`);
  const t = Date.now();
  try {
    rows.push(...(await run()));
  } catch (error) {
    failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    console.error(`${name} failed:`, error);
  }
  console.log(`   (${((Date.now() - t) / 1000).toFixed(0)} s)`);
}

await part("writes", () => benchWebsiteWrites(quick ? { rounds: 2, seconds: 2, log } : { log }));
await part("pipeline", () =>
  benchPipeline(
    quick
      ? { seconds: 5, events: 2_000, backlog: 5_000, limited: 150, drains: 1, turns: 1, log }
      : { log },
  ),
);
// The pipeline under `npm start` as a whole, the notifier alone and graphile-worker.
await part("service", () =>
  benchPipeline(
    quick
      ? { only: ["service"], seconds: 6, events: 2_000, drains: 1, turns: 1, log }
      : { only: ["service"], log },
  ),
);
await part("bot", () => benchBot(quick ? { updates: 3_000, pacedSeconds: 2 } : {}));
// The service as systemd and containers start it (the targets), then npm start's start-up
// as information (npm's own process and the prestart bundling come first).
await part("idle", async () => {
  const runs = quick ? { runs: 1, idleSeconds: 2 } : {};
  const npm = await benchIdle({ ...runs, launcher: "npm" });
  return [
    ...(await benchIdle({ ...runs, launcher: "node" })),
    ...npm.filter((row) => row.name.startsWith("idle: start-up, spawn → /healthz 200")),
  ];
});
await part("status", () => benchStatusPage(quick ? { rows: 50_000, runs: 3, log } : { log }));

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? "CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z`;
const table = formatTable(rows);
console.log(
  `\n${table}\n\n${machine}; ${((Date.now() - started) / 60_000).toFixed(1)} min${quick ? "; --quick" : ""}`,
);
if (values.markdown) await writeFile(values.markdown, `${table}\n\n${machine}\n`);
const missed = rows.filter((r) => !passes(r));
for (const f of failures) console.error(`✗ ${f}`);
if (missed.length > 0 || failures.length > 0) {
  console.error(
    `\n${missed.length} figure(s) missed their target${failures.length ? `, ${failures.length} benchmark(s) failed` : ""}.`,
  );
  process.exit(1);
}
