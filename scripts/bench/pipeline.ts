/**
 * The notification pipeline end to end, ours and graphile-worker's (peer.ts) on the same
 * database, the same Bot API double and the same website writes, one after the other:
 *
 * - latency: the website's status UPDATE committed at a steady rate (20/s for 60 s) →
 *   the Bot API double receiving sendMessage; p50 and p99 of every event, in three
 *   turns per side, ours and the peer alternating (--turns).
 * - throughput: 20,000 events queued (1,000 customers × 20 rounds) while the notifier
 *   is off, then drained to a double that answers at once, no send cap; per-customer
 *   order checked on every chat. Three drains each, ours and the peer taking turns; the
 *   median run is reported (--drains).
 * - backlog: 100,000 events (5,000 customers × 20) after downtime: time to drain, peak
 *   RSS of the notifier process, the rate of the last tenth against the first.
 * - Telegram's limit: the double answers 429 + retry_after beyond 30 sendMessage per
 *   second; delivered rate against the allowed one, and nothing lost.
 * - service (only when asked for: `npm run bench -- --only service`): latency at 20/s
 *   under `npm start` (the whole service: the bot long-polling the double, HTTP and the
 *   notifier), the notifier alone and graphile-worker, taking turns, each started and
 *   idle before the clock runs from the website's COMMIT; drains of 20,000, `npm start`
 *   against graphile-worker; CPU per delivered message (notifier + PostgreSQL) for both.
 *
 * Ours runs as `npm start` does (the dist/main.mjs bundle under node
 * --max-semi-space-size=2 --max-old-space-size=96, here with --only notifier, LOG_LEVEL info), in a
 * process of its own; graphile-worker 0.18 runs peer-worker.ts (concurrency 16, localQueue
 * 500). Each process is timed from its first delivered message, so start-up is left out.
 *
 *   npx tsx scripts/bench/pipeline.ts [--seconds 60] [--rate 20] [--events 20000]
 *     [--backlog 100000] [--drains 3] [--turns 3] [--no-peer] [--only latency,throughput,backlog,limited,service]
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { BotApiDouble } from "../../double/bot-api-double.ts";
import { ChatIdCipher } from "../../src/chat-id.ts";
import { freePort } from "../../src/db/embedded.ts";
import { projectRoot } from "../../src/db/migrations.ts";
import { runBenchScript, sleep, BENCH_TOKEN as TOKEN } from "./lib/cli.ts";
import { startBenchDatabase } from "./lib/database.ts";
import { peakRss, processCpuSeconds, serverCpuSeconds } from "./lib/proc.ts";
import { type BenchRow, median, percentile, plural } from "./lib/report.ts";
import { startFlags } from "./lib/start-flags.ts";
import { installPeer, useTriggers } from "./peer.ts";

/**
 * ours: `npm start --only notifier`; service: `npm start`, the whole service (the bot
 * long-polling the double, HTTP, the notifier); peer: graphile-worker 0.18.
 */
type Who = "ours" | "service" | "peer";
type Part = "latency" | "throughput" | "backlog" | "limited" | "service";

export interface PipelineOptions {
  /** Latency run length. Defaults to 60 s. */
  seconds?: number;
  /** Website writes per second in the latency run. Defaults to 20. */
  rate?: number;
  /** Events drained in the throughput run. Defaults to 20,000 (1,000 customers). */
  events?: number;
  /** Events queued in the backlog run. Defaults to 100,000 (5,000 customers). */
  backlog?: number;
  /** Events sent under the 30/s limit. Defaults to 600 (20 s). */
  limited?: number;
  /** Latency turns per side, taking turns; `seconds` is shared among them. Defaults to 3. */
  turns?: number;
  /** Drains of `events` per side, taking turns; the median is reported. Defaults to 3. */
  drains?: number;
  /** Also run graphile-worker. Defaults to true. */
  peer?: boolean;
  /**
   * Run only these parts. Defaults to all but `service` (which `npm run bench` runs as a
   * part of its own): latency and drain under the whole `npm start` service, the notifier
   * alone and graphile-worker side by side, with CPU per delivered message.
   */
  only?: ReadonlyArray<Part>;
  log?: (line: string) => void;
}

const CHAT_BASE = 700_000_000;
const TELEGRAM_LIMIT = 30;

/** Runs every pipeline benchmark; returns the table's rows. */
export async function benchPipeline(options: PipelineOptions = {}): Promise<BenchRow[]> {
  const seconds = options.seconds ?? 60;
  const rate = options.rate ?? 20;
  const events = options.events ?? 20_000;
  const backlog = options.backlog ?? 100_000;
  const limited = options.limited ?? 600;
  const withPeer = options.peer ?? true;
  const drains = options.drains ?? 3;
  const turns = options.turns ?? 3;
  const log = options.log ?? ((line: string) => console.log(line));
  const key = randomBytes(32).toString("base64");
  const cipher = ChatIdCipher.fromBase64(key);
  const customers = Math.max(5_000, Math.ceil(backlog / 20), Math.ceil(events / 20));

  // The bundle `npm start` builds and runs.
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: projectRoot });
  const db = await startBenchDatabase("pipeline");
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  const rows: BenchRow[] = [];
  try {
    const postmaster = db.postmaster;
    await installPeer(db.url);
    await seedCustomers(sql, cipher, customers);
    const who: Who[] = withPeer ? ["ours", "peer"] : ["ours"];

    const run = (part: Part) => (options.only ? options.only.includes(part) : part !== "service");

    // 1. Latency at a steady rate: ours and the peer take turns (three each by default),
    // and each side's latencies are pooled, so a slow minute of the machine falls on both.
    if (run("latency")) {
      const latency: Partial<Record<Who, { p50: number; p99: number; n: number }>> = {};
      const { pooled } = await latencyTurns(
        sql,
        db.url,
        key,
        who,
        { seconds, rate, turns, tag: "lat", log },
        (w, t, got) =>
          `latency ${w} (${t} of ${turns}): p50 ${median(got.latencies).toFixed(2)} ms, p99 ${percentile(got.latencies, 99).toFixed(2)} ms`,
      );
      for (const w of who) {
        latency[w] = {
          p50: median(pooled[w]),
          p99: percentile(pooled[w], 99),
          n: pooled[w].length,
        };
        log(
          `latency ${w}: p50 ${latency[w]?.p50.toFixed(2)} ms, p99 ${latency[w]?.p99.toFixed(2)} ms over ${latency[w]?.n} events`,
        );
      }
      const row = (q: "p50" | "p99", target: number, note?: string): BenchRow => ({
        name: `commit → sendMessage ${q} (${rate}/s for ${seconds} s)`,
        value: latency.ours?.[q] ?? Number.NaN,
        unit: "ms",
        target: { op: "<=", value: target },
        peer: latency.peer?.[q],
        beatPeer: true,
        ...(note ? { note } : {}),
      });
      rows.push(
        row(
          "p50",
          2,
          `${plural(turns, "turn")} of ${Math.round(seconds / turns)} s each, ours and graphile-worker alternating; every event of a side pooled (${latency.ours?.n ?? 0} ours${latency.peer ? `, ${latency.peer.n} graphile-worker` : ""})`,
        ),
        row("p99", 6),
      );
    }

    const perCustomer = 20;
    // 2. Throughput: a queue drained as fast as the API answers. Ours and the peer take
    // turns, `drains` times each, and each side's median run is the figure: one slow
    // moment of this shared machine then decides neither the row nor the comparison.
    if (run("throughput")) {
      const runs = await drainTurns(
        sql,
        db.url,
        key,
        who,
        { events, drains, tag: "tp", log, postmaster },
        (w, r, result) =>
          `throughput ${w} (${r} of ${drains}): ${result.rate.toFixed(0)} messages/s, ${describeOrder(result)}; ${describeCpu(result)}`,
      );
      const drained: Partial<Record<Who, DrainResult>> = {
        ours: medianRun(runs.ours),
        peer: medianRun(runs.peer),
      };
      const rates = (w: Who) => runs[w].map((r) => r.rate.toFixed(0)).join(", ");
      const disordered = (w: Who) =>
        runs[w].length > 0 ? Math.max(...runs[w].map((r) => r.outOfOrder)) : undefined;
      rows.push(
        {
          name: `drain ${events.toLocaleString("en-US")} events, no send cap`,
          value: drained.ours?.rate ?? Number.NaN,
          unit: "messages/s",
          target: { op: ">=", value: 5_000 },
          peer: drained.peer?.rate,
          beatPeer: true,
          note: `median of ${plural(drains, "run")} each, taking turns (ours ${rates("ours")}${drained.peer ? `; graphile-worker ${rates("peer")}` : ""}); median runs: ours ${describeOrder(drained.ours)}, ${describeCpu(drained.ours)}${drained.peer ? `; graphile-worker ${describeOrder(drained.peer)}, ${describeCpu(drained.peer)}` : ""}`,
        },
        {
          name: "customers whose messages arrived out of order",
          value: disordered("ours") ?? Number.NaN,
          unit: "chats",
          target: { op: "<=", value: 0 },
          peer: disordered("peer"),
          note: `the most in any of the ${plural(drains, "run")}`,
        },
      );
    }

    // 3. Backlog after downtime (ours only: graphile-worker's figure is not asked for).
    if (run("backlog")) {
      const blCustomers = Math.ceil(backlog / perCustomer);
      await seedFiles(sql, "bl-ours", perCustomer, blCustomers, blCustomers);
      const bl = await measureDrain(sql, db.url, key, "ours", {
        prefix: "bl-ours",
        rounds: perCustomer,
        log,
        timeoutMs: 600_000,
        postmaster,
      });
      log(
        `backlog: ${bl.received} in ${(bl.ms / 1000).toFixed(1)} s, peak RSS ${bl.peakRssMb.toFixed(0)} MB, end/start ${(bl.endRate / bl.startRate).toFixed(2)}; ${describeCpu(bl)}`,
      );
      rows.push(
        {
          name: `backlog of ${backlog.toLocaleString("en-US")}: time to drain`,
          value: bl.ms / 1000,
          unit: "s",
          note: `${bl.lost} lost, ${bl.duplicates} sent twice, ${describeOrder(bl)}; ${describeCpu(bl)}`,
        },
        {
          name: "backlog: peak RSS of the notifier",
          value: bl.peakRssMb,
          unit: "MB",
          target: { op: "<=", value: 150 },
        },
        {
          name: "backlog: rate of the last tenth ÷ the first",
          value: bl.endRate / bl.startRate,
          unit: "ratio",
          target: { op: ">=", value: 0.8 },
          note: `first tenth ${bl.startRate.toFixed(0)}/s, last tenth ${bl.endRate.toFixed(0)}/s`,
        },
      );
    }

    // 4. Under Telegram's limit.
    if (run("limited")) {
      const limCustomers = 100;
      const limRounds = Math.ceil(limited / limCustomers);
      const lim: Partial<Record<Who, DrainResult>> = {};
      for (const w of who) {
        await seedFiles(sql, `lim-${w}`, limRounds, limCustomers, limCustomers);
        lim[w] = await measureDrain(sql, db.url, key, w, {
          prefix: `lim-${w}`,
          rounds: limRounds,
          log,
          rateLimit: TELEGRAM_LIMIT,
          timeoutMs: 120_000,
        });
        log(
          `limited ${w}: ${lim[w]?.rate.toFixed(1)}/s, ${lim[w]?.rejected} answered 429, ${lim[w]?.lost} not delivered`,
        );
      }
      rows.push(
        {
          name: `delivered rate under a ${TELEGRAM_LIMIT}/s limit ÷ the limit`,
          value: (lim.ours?.rate ?? Number.NaN) / TELEGRAM_LIMIT,
          unit: "ratio",
          target: { op: ">=", value: 0.95 },
          peer: lim.peer ? lim.peer.rate / TELEGRAM_LIMIT : undefined,
          note: `NOTIFY_MAX_PER_SECOND=${TELEGRAM_LIMIT - 1}; 429 answers: ours ${lim.ours?.rejected}${lim.peer ? `, graphile-worker ${lim.peer.rejected}` : ""}`,
        },
        {
          name: `messages lost under the limit (of ${limRounds * limCustomers})`,
          value: lim.ours?.lost ?? Number.NaN,
          unit: "messages",
          target: { op: "<=", value: 0 },
          peer: lim.peer?.lost,
        },
      );
    }
    // 5. Under `npm start`: the whole service (the bot long-polling the double too), the
    // notifier alone and graphile-worker, taking turns; then drains, `npm start` against
    // graphile-worker, with the CPU each delivered message cost.
    if (run("service")) rows.push(...(await benchService(sql, db.url, key, options, postmaster)));
    return rows;
  } finally {
    await sql.end();
    await db.stop();
  }
}

/** CPU time per delivered message, µs: the notifier's process and PostgreSQL's. */
interface MessageCpu {
  notifier: number;
  server: number;
}

/** Commit → sendMessage latencies (ms) of one turn, and its CPU per message. */
interface Latencies {
  latencies: number[];
  cpu: MessageCpu;
}

const cpuSum = (c: MessageCpu | undefined) => (c ? c.notifier + c.server : Number.NaN);

function describeMessageCpu(c: MessageCpu | undefined): string {
  return c
    ? `${cpuSum(c).toFixed(0)} µs (notifier ${c.notifier.toFixed(0)} + PostgreSQL ${c.server.toFixed(0)})`
    : "not run";
}

/**
 * Latency in turns: each of `sides` in turn, `turns` times, `seconds × rate` events
 * shared among the turns; each side's latencies pooled (so a slow minute of the machine
 * falls on every side) and its CPU per message kept per turn. `line` is logged per turn.
 */
async function latencyTurns(
  sql: postgres.Sql,
  databaseUrl: string,
  key: string,
  sides: readonly Who[],
  o: {
    seconds: number;
    rate: number;
    turns: number;
    /** Prefix of the turns' file names. */
    tag: string;
    log: (l: string) => void;
    postmaster?: number;
  },
  line: (w: Who, turn: number, got: Latencies) => string,
): Promise<{ pooled: Record<Who, number[]>; cpu: Record<Who, MessageCpu[]> }> {
  const pooled: Record<Who, number[]> = { ours: [], service: [], peer: [] };
  const cpu: Record<Who, MessageCpu[]> = { ours: [], service: [], peer: [] };
  const perTurn = Math.max(1, Math.round((o.seconds * o.rate) / o.turns));
  for (let t = 1; t <= o.turns; t++) {
    for (const w of sides) {
      const prefix = `${o.tag}${t}-${w}`;
      await seedFiles(sql, prefix, 1, perTurn, 100);
      await seedFiles(sql, `${o.tag}warm${t}-${w}`, 1, 20, 20);
      const got = await measureLatency(sql, databaseUrl, key, w, {
        prefix,
        warmPrefix: `${o.tag}warm${t}-${w}`,
        total: perTurn,
        rate: o.rate,
        log: o.log,
        ...(o.postmaster ? { postmaster: o.postmaster } : {}),
      });
      pooled[w].push(...got.latencies);
      cpu[w].push(got.cpu);
      o.log(line(w, t, got));
    }
  }
  return { pooled, cpu };
}

/**
 * Drains in turns: `events` queued (20 per customer) and drained by each of `sides` in
 * turn, `drains` times; every run kept. `line` is logged per run.
 */
async function drainTurns(
  sql: postgres.Sql,
  databaseUrl: string,
  key: string,
  sides: readonly Who[],
  o: {
    events: number;
    drains: number;
    /** Prefix of the runs' file names. */
    tag: string;
    log: (l: string) => void;
    postmaster: number | undefined;
  },
  line: (w: Who, run: number, result: DrainResult) => string,
): Promise<Record<Who, DrainResult[]>> {
  const perCustomer = 20;
  const customers = Math.ceil(o.events / perCustomer);
  const runs: Record<Who, DrainResult[]> = { ours: [], service: [], peer: [] };
  for (let r = 1; r <= o.drains; r++) {
    for (const w of sides) {
      const prefix = `${o.tag}-${w}-${r}`;
      await seedFiles(sql, prefix, perCustomer, customers, customers);
      const result = await measureDrain(sql, databaseUrl, key, w, {
        prefix,
        rounds: perCustomer,
        log: o.log,
        ...(o.postmaster ? { postmaster: o.postmaster } : {}),
      });
      runs[w].push(result);
      o.log(line(w, r, result));
    }
  }
  return runs;
}

/** The `service` part (see `PipelineOptions.only`). */
async function benchService(
  sql: postgres.Sql,
  databaseUrl: string,
  key: string,
  options: PipelineOptions,
  postmaster: number | undefined,
): Promise<BenchRow[]> {
  const seconds = options.seconds ?? 60;
  const rate = options.rate ?? 20;
  const events = options.events ?? 20_000;
  const turns = options.turns ?? 3;
  const drains = options.drains ?? 3;
  const withPeer = options.peer ?? true;
  const log = options.log ?? ((line: string) => console.log(line));
  const sides: Who[] = withPeer ? ["service", "ours", "peer"] : ["service", "ours"];
  const name: Record<Who, string> = {
    service: "npm start",
    ours: "notifier alone",
    peer: "graphile-worker",
  };
  const { pooled, cpu: steadyCpu } = await latencyTurns(
    sql,
    databaseUrl,
    key,
    sides,
    { seconds, rate, turns, tag: "svc", log, postmaster },
    (w, t, got) =>
      `service: latency ${name[w]} (${t} of ${turns}): p50 ${median(got.latencies).toFixed(2)} ms, p99 ${percentile(got.latencies, 99).toFixed(2)} ms, CPU per message ${describeMessageCpu(got.cpu)}`,
  );
  const q = (w: Who, p: number) => (pooled[w].length ? percentile(pooled[w], p) : undefined);
  const meanCpu = (w: Who): MessageCpu | undefined =>
    steadyCpu[w].length
      ? {
          notifier: steadyCpu[w].reduce((a, c) => a + c.notifier, 0) / steadyCpu[w].length,
          server: steadyCpu[w].reduce((a, c) => a + c.server, 0) / steadyCpu[w].length,
        }
      : undefined;

  const runs = await drainTurns(
    sql,
    databaseUrl,
    key,
    withPeer ? ["service", "peer"] : ["service"],
    { events, drains, tag: "svctp", log, postmaster },
    (w, r, result) =>
      `service: drain ${name[w]} (${r} of ${drains}): ${result.rate.toFixed(0)} messages/s, ${describeOrder(result)}; ${describeCpu(result)}`,
  );
  const drained = { service: medianRun(runs.service), peer: medianRun(runs.peer) };
  const rates = (w: Who) => runs[w].map((r) => r.rate.toFixed(0)).join(", ");
  const drainCpu = (r: DrainResult | undefined): MessageCpu | undefined =>
    r ? { notifier: r.cpu.notifier, server: r.cpu.server } : undefined;
  const latencyRow = (who: "service" | "ours", p: 50 | 99, target: number): BenchRow => ({
    name: `${name[who]}: commit → sendMessage p${p} (${rate}/s, idle and warm)`,
    value: q(who, p) ?? Number.NaN,
    unit: "ms",
    target: { op: "<=", value: target },
    peer: q("peer", p),
    beatPeer: who === "service",
  });
  const ratio = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined ? a / b : Number.NaN;
  return [
    {
      ...latencyRow("service", 50, 2),
      note: `${plural(turns, "turn")} of ${Math.round(seconds / turns)} s each, \`npm start\` (the whole service: the bot long-polling the double, HTTP, the notifier), the notifier alone (\`--only notifier\`) and graphile-worker taking turns, each started, warmed with 20 events and idle before the clock runs from the website's COMMIT; ${pooled.service.length} / ${pooled.ours.length} / ${pooled.peer.length} events pooled`,
    },
    latencyRow("service", 99, 6),
    latencyRow("ours", 50, 2),
    latencyRow("ours", 99, 6),
    {
      name: `npm start: CPU per delivered message at ${rate}/s, notifier + PostgreSQL`,
      value: cpuSum(meanCpu("service")),
      unit: "µs",
      peer: withPeer ? cpuSum(meanCpu("peer")) : undefined,
      note: `mean of the turns, from the first timed COMMIT to the last message (idle timers included): npm start ${describeMessageCpu(meanCpu("service"))}, notifier alone ${describeMessageCpu(meanCpu("ours"))}${withPeer ? `, graphile-worker ${describeMessageCpu(meanCpu("peer"))}` : ""}`,
    },
    {
      name: `npm start: drain ${events.toLocaleString("en-US")} events ÷ graphile-worker's`,
      value: ratio(drained.service?.rate, drained.peer?.rate),
      unit: "ratio",
      target: { op: ">=", value: 2 },
      note: `median of ${plural(drains, "run")} each, taking turns: npm start ${rates("service")}; graphile-worker ${rates("peer")} messages/s; npm start ${describeOrder(drained.service)}, graphile-worker ${describeOrder(drained.peer)}`,
    },
    {
      name: "npm start: drain CPU per message (notifier + PostgreSQL) ÷ graphile-worker's",
      value: ratio(cpuSum(drainCpu(drained.service)), cpuSum(drainCpu(drained.peer))),
      unit: "ratio",
      target: { op: "<=", value: 0.5 },
      note: `median runs: npm start ${describeMessageCpu(drainCpu(drained.service))}, graphile-worker ${describeMessageCpu(drainCpu(drained.peer))}`,
    },
  ];
}

async function seedCustomers(sql: postgres.Sql, cipher: ChatIdCipher, count: number) {
  const chats = Array.from({ length: count }, (_, i) => cipher.encrypt(CHAT_BASE + i + 1));
  await sql`
    INSERT INTO users (id, email, "firstName", "lastName", "updatedAt", "telegramChatId", "telegramLinkedAt")
    SELECT 'user-' || g, 'c' || g || '@example.com', 'Customer', 'Bench', now(), c, now()
      FROM unnest(${chats}::text[]) WITH ORDINALITY AS t(c, g)`;
}

/** Files `${prefix}-r${round}-c${customer}.bin`, PENDING, recorded with no trigger on. */
async function seedFiles(
  sql: postgres.Sql,
  prefix: string,
  rounds: number,
  count: number,
  customers: number,
) {
  await useTriggers(sql, "none");
  await sql`
    INSERT INTO tuning_files (id, "userId", "originalFilename", "r2Key", "fileSize", "fileType", status, "updatedAt")
    SELECT ${prefix} || '-' || r || '-' || c, 'user-' || (1 + c % ${customers}),
           ${prefix} || '-r' || r || '-c' || c || '.bin', ${prefix} || '-' || r || '-' || c,
           524288, 'bin', 'PENDING', now()
      FROM generate_series(1, ${rounds}) r, generate_series(0, ${count - 1}) c`;
  await sql`CREATE INDEX IF NOT EXISTS bench_filename_idx ON tuning_files ("originalFilename" text_pattern_ops)`;
  await sql`ANALYZE tuning_files`;
}

/** The triggers that record events for `who`: the whole service uses ours. */
function triggersOf(who: Who): "ours" | "peer" {
  return who === "peer" ? "peer" : "ours";
}

interface Running {
  pid: number;
  stop(): Promise<void>;
  output(): string;
}

/** Starts our notifier (as `npm start --only notifier`) or graphile-worker's. */
async function startNotifier(
  who: Who,
  databaseUrl: string,
  key: string,
  double: BotApiDouble,
  maxPerSecond: number,
): Promise<Running> {
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    DATABASE_URL: databaseUrl,
    TELEGRAM_CUSTOMER_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: double.url,
    TELEGRAM_CHAT_ID_KEY: key,
    LINK_VERIFICATION: "none",
    PORT: String(port),
    NOTIFY_MAX_PER_SECOND: String(maxPerSecond),
    NOTIFY_CONCURRENCY: "16",
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "info",
    ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
  };
  const profile = process.env.BENCH_CPU_PROF
    ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const args =
    who === "peer"
      ? [...profile, "--import", "tsx", "scripts/bench/peer-worker.ts"]
      : // What `npm start` runs (package.json): the whole service, or the notifier alone.
        [
          ...profile,
          ...startFlags(),
          ...["dist/main.mjs", "start", ...(who === "ours" ? ["--only", "notifier"] : [])],
        ];
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tail = "";
  let started = false;
  const keep = (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4_000);
    if (tail.includes("STARTED")) started = true;
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${who} notifier exited at start:\n${tail}`);
    if (who === "peer" && started) break;
    if (who !== "peer") {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${who} notifier did not start in 60 s:\n${tail}`);
    }
    await sleep(20);
  }
  return {
    pid: child.pid ?? 0,
    output: () => tail,
    stop: async () => {
      stopChild(child);
      await exited;
    },
  };
}

function stopChild(child: ChildProcess) {
  child.kill("SIGTERM");
  setTimeout(() => child.kill("SIGKILL"), 15_000).unref();
}

/** Commit → sendMessage latencies (ms) of `total` status changes at `rate` per second. */
async function measureLatency(
  sql: postgres.Sql,
  databaseUrl: string,
  key: string,
  who: Who,
  o: {
    prefix: string;
    warmPrefix: string;
    total: number;
    rate: number;
    log: (l: string) => void;
    /** The postmaster's pid, for the server's CPU time. */
    postmaster?: number;
  },
): Promise<Latencies> {
  await useTriggers(sql, triggersOf(who));
  const double = await BotApiDouble.start({ token: TOKEN });
  const running = await startNotifier(who, databaseUrl, key, double, 0);
  try {
    // Warm up: the listener is connected and the code paths compiled.
    for (let i = 0; i < 20; i++) {
      await sql`UPDATE tuning_files SET status = 'READY', "updatedAt" = now()
                 WHERE "originalFilename" = ${`${o.warmPrefix}-r1-c${i}.bin`}`;
      await sleep(20);
    }
    await untilSent(double, 20, 30_000);
    await sleep(500);
    const cpuAt = async () => ({
      notifier: await processCpuSeconds(running.pid),
      server: o.postmaster ? await serverCpuSeconds(o.postmaster) : Number.NaN,
    });
    const cpuBefore = await cpuAt();
    const committed = new Array<number>(o.total);
    const start = performance.now();
    for (let i = 0; i < o.total; i++) {
      const due = start + (i * 1000) / o.rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const label = `${o.prefix}-r1-c${i}.bin`;
      await sql`UPDATE tuning_files SET status = 'READY', "updatedAt" = now() WHERE "originalFilename" = ${label}`;
      committed[i] = performance.now();
    }
    await untilSent(double, 20 + o.total, 60_000);
    const cpuAfter = await cpuAt();
    const latencies: number[] = [];
    const pattern = new RegExp(`${o.prefix}-r1-c(\\d+)\\.bin`);
    for (const m of double.sent()) {
      const i = pattern.exec(m.text)?.[1];
      if (i !== undefined && committed[Number(i)] !== undefined)
        latencies.push(m.at - (committed[Number(i)] as number));
    }
    if (latencies.length < o.total)
      o.log(`latency ${who}: only ${latencies.length} of ${o.total} messages arrived`);
    const n = Math.max(1, latencies.length);
    return {
      latencies,
      cpu: {
        notifier: ((cpuAfter.notifier - cpuBefore.notifier) * 1e6) / n,
        server: ((cpuAfter.server - cpuBefore.server) * 1e6) / n,
      },
    };
  } finally {
    await running.stop();
    await double.close();
  }
}

interface DrainResult {
  received: number;
  expected: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  rate: number;
  ms: number;
  startRate: number;
  endRate: number;
  peakRssMb: number;
  rejected: number;
  /** CPU time per delivered message, µs: the notifier process, PostgreSQL, this process (the double). */
  cpu: { notifier: number; server: number; double: number };
}

function describeCpu(r: DrainResult | undefined): string {
  if (!r) return "not run";
  const { notifier, server, double } = r.cpu;
  return `CPU per message: notifier ${notifier.toFixed(0)} µs, PostgreSQL ${server.toFixed(0)} µs, Bot API double ${double.toFixed(0)} µs`;
}

/** The run of median rate (the lower middle one of an even count). */
function medianRun(runs: readonly DrainResult[]): DrainResult | undefined {
  const sorted = [...runs].sort((a, b) => a.rate - b.rate);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function describeOrder(r: DrainResult | undefined): string {
  if (!r) return "not run";
  return r.outOfOrder === 0
    ? "every customer's messages in recorded order"
    : `${r.outOfOrder} customers' messages out of recorded order`;
}

/**
 * Queues `rounds` status changes of every `${prefix}` file, one UPDATE per round (so
 * round r is each customer's r-th event), with the notifier off; then starts it and
 * times the drain from its first message to the last.
 */
async function measureDrain(
  sql: postgres.Sql,
  databaseUrl: string,
  key: string,
  who: Who,
  o: {
    prefix: string;
    rounds: number;
    log: (l: string) => void;
    rateLimit?: number;
    timeoutMs?: number;
    /** The postmaster's pid, for the server's CPU time. */
    postmaster?: number;
  },
): Promise<DrainResult> {
  await useTriggers(sql, triggersOf(who));
  let expected = 0;
  for (let r = 1; r <= o.rounds; r++) {
    const result = await sql`
      UPDATE tuning_files SET status = 'READY', "updatedAt" = now()
       WHERE "originalFilename" LIKE ${`${o.prefix}-r${r}-c%`}`;
    expected += result.count;
  }
  await useTriggers(sql, "none");
  const double = await BotApiDouble.start({
    token: TOKEN,
    ...(o.rateLimit ? { rateLimit: { perSecond: o.rateLimit } } : {}),
  });
  const running = await startNotifier(
    who,
    databaseUrl,
    key,
    double,
    o.rateLimit ? o.rateLimit - 1 : 0,
  );
  let peakRssKb = 0;
  const sampler = setInterval(() => {
    peakRss(running.pid).then((kb) => {
      peakRssKb = Math.max(peakRssKb, kb);
    });
  }, 100);
  const cpuAt = async () => ({
    notifier: await processCpuSeconds(running.pid),
    server: o.postmaster ? await serverCpuSeconds(o.postmaster) : Number.NaN,
    double: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
  });
  const cpuBefore = await cpuAt();
  let cpuAfter = cpuBefore;
  try {
    if (!(await untilSent(double, expected, o.timeoutMs ?? 180_000)))
      o.log(`${who}: drain incomplete after ${(o.timeoutMs ?? 180_000) / 1000} s`);
    cpuAfter = await cpuAt();
    await sleep(300);
    peakRssKb = Math.max(peakRssKb, await peakRss(running.pid));
  } finally {
    clearInterval(sampler);
    await running.stop();
    await double.close();
  }
  const messages = double.sent();
  const pattern = new RegExp(`${o.prefix}-r(\\d+)-c(\\d+)\\.bin`);
  const seen = new Set<string>();
  const lastRound = new Map<number, number>();
  const disordered = new Set<number>();
  let duplicates = 0;
  for (const m of messages) {
    const match = pattern.exec(m.text);
    if (!match) continue;
    const id = `${match[1]}-${match[2]}`;
    if (seen.has(id)) duplicates++;
    seen.add(id);
    const round = Number(match[1]);
    if ((lastRound.get(m.chat_id) ?? 0) > round) disordered.add(m.chat_id);
    lastRound.set(m.chat_id, round);
  }
  const at = messages.map((m) => m.at).sort((a, b) => a - b);
  const first = at[0] ?? 0;
  const last = at[at.length - 1] ?? 0;
  const tenth = Math.max(1, Math.floor(at.length / 10));
  const span = (from: number, to: number) => Math.max(1e-3, (at[to] ?? 0) - (at[from] ?? 0));
  return {
    received: messages.length,
    expected,
    lost: expected - seen.size,
    duplicates,
    outOfOrder: disordered.size,
    rate: ((at.length - 1) * 1000) / Math.max(1e-3, last - first),
    ms: last - first,
    startRate: (tenth * 1000) / span(0, tenth),
    endRate: (tenth * 1000) / span(at.length - 1 - tenth, at.length - 1),
    peakRssMb: peakRssKb / 1024,
    rejected: double.stats().rejected429,
    cpu: {
      notifier: ((cpuAfter.notifier - cpuBefore.notifier) * 1e6) / Math.max(1, messages.length),
      server: ((cpuAfter.server - cpuBefore.server) * 1e6) / Math.max(1, messages.length),
      double: ((cpuAfter.double - cpuBefore.double) * 1e6) / Math.max(1, messages.length),
    },
  };
}

/** Waits until the double has accepted `n` messages; false on timeout. */
async function untilSent(double: BotApiDouble, n: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (double.sent().length < n) {
    if (performance.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

await runBenchScript(
  import.meta.url,
  {
    seconds: { type: "string", default: "60" },
    rate: { type: "string", default: "20" },
    events: { type: "string", default: "20000" },
    backlog: { type: "string", default: "100000" },
    limited: { type: "string", default: "600" },
    drains: { type: "string", default: "3" },
    turns: { type: "string", default: "3" },
    "no-peer": { type: "boolean", default: false },
    only: { type: "string" },
  },
  (values) =>
    benchPipeline({
      seconds: Number(values.seconds),
      rate: Number(values.rate),
      events: Number(values.events),
      backlog: Number(values.backlog),
      limited: Number(values.limited),
      drains: Number(values.drains),
      turns: Number(values.turns),
      peer: !values["no-peer"],
      ...(values.only
        ? { only: values.only.split(",") as NonNullable<PipelineOptions["only"]> }
        : {}),
    }),
);
