/**
 * "Idle service" benchmark: how fast the service starts and how much memory it holds when
 * nothing happens. By default it runs what the README's systemd unit, the container image
 * and PM2 run, `node <flags> dist/main.mjs start`, on a bundle built beforehand: the
 * start-up target (≤ 300 ms) and the RSS target (≤ 64 MiB) are this launcher's.
 * `--launcher npm` runs `npm start` as a user types it (npm's own process and the prestart
 * bundling come first: information, not the service's start-up); `--launcher npx` runs
 * `npx tsx src/main.ts start` from source. The node launcher's flags are those of
 * package.json's start script, or `--node-flags` to weigh others (V8 flags: `--node-flags "--max-semi-space-size=1 --v8-pool-size=2"`);
 * its node is the one running this script, or `--node <path>` to run the service on
 * another Node line (22, 24: the bundle is the same).
 *
 *   npx tsx scripts/bench/idle.ts [--runs 3] [--idle-seconds 5] [--launcher node|npm|npx]
 *                                 [--node-flags "..."] [--node /path/to/node]
 *
 * Set-up: an embedded PostgreSQL in a temp folder with the website's tables and every
 * migration (so the service only checks them), a Bot API double on loopback
 * (TELEGRAM_API_ROOT), a random TELEGRAM_CHAT_ID_KEY, LINK_VERIFICATION=none, PORT free.
 * Each run, medians reported:
 * - start-up: spawn → `/healthz` answering 200 (polled every 10 ms); also spawn → the
 *   answer to a customer's `/start` queued in getUpdates before the spawn (the bot really
 *   polling and answering: the one update the otherwise idle service handles), and the
 *   part the launcher takes (spawn → the service's node process exists, from
 *   /proc/<pid>/stat start times, 10 ms resolution), and the CPU time the service's
 *   process used until /healthz answered 200 (user + system, 10 ms resolution: on a
 *   shared machine the wall time swings with the load, the CPU time much less), and when
 *   each start step logged its line (the `time` of the service's own JSON log lines, ms
 *   after the spawn: see STEPS);
 * - RSS: VmRSS of the service's own node process (the leaf of the launcher's process
 *   tree running the service, not the npm/tsx wrappers) after `--idle-seconds` idle; the
 *   wrappers' RSS is in the note;
 * - SIGTERM to that process (as systemd or a container runtime sends it): the time to
 *   exit, and whether the exit code is 0 (the launchers pass the service's code on).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { BotApiDouble } from "../../double/bot-api-double.ts";
import { freePort } from "../../src/db/embedded.ts";
import { projectRoot } from "../../src/db/migrations.ts";
import { BENCH_TOKEN, runBenchScript, sleep } from "./lib/cli.ts";
import { type BenchDatabase, startBenchDatabase } from "./lib/database.ts";
import { descendants, processCpuSeconds, rss, startTicks } from "./lib/proc.ts";
import { type BenchRow, median, round } from "./lib/report.ts";
import { startFlags } from "./lib/start-flags.ts";

/** One line of a benchmark's result table. */
export type Launcher = "npm" | "npx" | "node";

export interface IdleBenchOptions {
  /** Defaults to 3. */
  runs?: number;
  /** Idle time before RSS is read. Defaults to 5 s. */
  idleSeconds?: number;
  /** How the service is started. Defaults to `node` (what systemd and containers run). */
  launcher?: Launcher;
  /** The node launcher's flags. Defaults to those of package.json's start script. */
  nodeFlags?: readonly string[];
  /** The node launcher's node binary. Defaults to the one running the benchmark. */
  node?: string;
  log?: (line: string) => void;
}

/** Start steps, by the line the service logs when it has done it. */
const STEPS = [
  ["HTTP", "HTTP on "],
  ["started", "CompuCar customer bot started"],
  ["sender lock", "notifier: this instance is the active sender"],
  ["polling lock", "polling: this instance polls Telegram"],
  ["LISTEN", "notifier: listening for new events"],
] as const;

interface RunResult {
  startupMs: number;
  /** ms after the spawn at which each of STEPS was logged (NaN when it was not). */
  stepsMs: number[];
  /** CPU seconds of the service's process when /healthz first answered 200. */
  startupCpuS: number;
  firstReplyMs: number;
  launcherMs: number;
  rssKiB: number;
  /** V8 heap in use, from the service's own /metrics. */
  heapUsedMiB: number;
  wrappersRssKiB: number;
  stopMs: number;
  exitCode: number | null;
}

function command(
  launcher: Launcher,
  nodeFlags: readonly string[],
  node: string,
): [string, string[]] {
  if (launcher === "npm") return ["npm", ["start"]];
  if (launcher === "npx") return ["npx", ["tsx", "src/main.ts", "start"]];
  return [node, [...nodeFlags, "dist/main.mjs", "start"]];
}
const STARTUP_TIMEOUT_MS = 60_000;

/** Runs the benchmark; returns its rows (medians of the runs). */
export async function benchIdle(options: IdleBenchOptions = {}): Promise<BenchRow[]> {
  const log = options.log ?? ((line: string) => console.error(line));
  const runs = options.runs ?? 3;
  const idleMs = (options.idleSeconds ?? 5) * 1000;
  const launcher = options.launcher ?? "node";
  const nodeFlags = options.nodeFlags ?? startFlags();
  const node = options.node ?? process.execPath;
  const nodeVersion =
    launcher === "node" ? execFileSync(node, ["--version"], { encoding: "utf8" }).trim() : "";
  // npm start bundles the service itself (prestart); the node launcher runs that bundle.
  if (launcher === "node")
    execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: projectRoot });

  let db: BenchDatabase | undefined;
  let telegram: BotApiDouble | undefined;
  try {
    db = await startBenchDatabase("idle");
    const databaseUrl = db.url;
    telegram = await BotApiDouble.start({ token: BENCH_TOKEN });

    const results: RunResult[] = [];
    for (let run = 1; run <= runs; run++) {
      const result = await runOnce(
        command(launcher, nodeFlags, node),
        databaseUrl,
        telegram,
        idleMs,
      );
      log(
        `run ${run}: ${STEPS.map(([name], i) => `${name} ${result.stepsMs[i]?.toFixed(0)} ms, `).join("")}/healthz 200 after ${result.startupMs.toFixed(0)} ms (${(result.startupCpuS * 1000).toFixed(0)} ms CPU; launcher ${result.launcherMs} ms), /start answered after ${result.firstReplyMs.toFixed(0)} ms, RSS ${(result.rssKiB / 1024).toFixed(1)} MiB after ${idleMs / 1000} s idle, SIGTERM → exit ${result.exitCode} in ${result.stopMs.toFixed(0)} ms`,
      );
      results.push(result);
    }

    const med = (pick: (r: RunResult) => number) => median(results.map(pick));
    const how = {
      npm: "npm start",
      npx: "npx tsx src/main.ts start",
      node: ["node", ...nodeFlags, "dist/main.mjs start"].join(" "),
    }[launcher];
    const of = `median of ${runs}${nodeVersion ? `, node ${nodeVersion}` : ""}`;
    const exitedZero = results.filter((r) => r.exitCode === 0).length;
    // The targets are the service's (node dist/main.mjs); npm's launcher adds its own time.
    const targets = launcher === "node";
    return [
      {
        name: `idle: start-up, spawn → /healthz 200 (${how})`,
        value: Math.round(med((r) => r.startupMs)),
        unit: "ms",
        ...(targets ? { target: { op: "<=" as const, value: 300 } } : {}),
        note: `${of}; the launcher's part (spawn → the service's node process exists): ${Math.round(med((r) => r.launcherMs))} ms; steps logged, ms after the spawn: ${STEPS.map(([name], i) => `${name} ${Math.round(med((r) => r.stepsMs[i] ?? Number.NaN))}`).join(", ")}`,
      },
      {
        name: "idle: start-up, CPU time of the service's process until /healthz 200",
        value: Math.round(med((r) => r.startupCpuS) * 1000),
        unit: "ms",
        note: `${of}; user + system, from /proc/<pid>/stat (10 ms resolution)`,
      },
      {
        name: "idle: start-up, spawn → a waiting /start answered",
        value: Math.round(med((r) => r.firstReplyMs)),
        unit: "ms",
        note: `${of}; queued in getUpdates before the spawn: the bot polling (leader lock taken) and answering`,
      },
      {
        name: `idle: RSS of the service process after ${idleMs / 1000} s idle`,
        value: round(med((r) => r.rssKiB) / 1024, 1),
        unit: "MiB",
        ...(targets ? { target: { op: "<=" as const, value: 64 } } : {}),
        note: `${of}; VmRSS of the node process running the service (V8 heap used ${round(
          med((r) => r.heapUsedMiB),
          1,
        )} MiB, /metrics); the launcher's wrapper processes add ${round(med((r) => r.wrappersRssKiB) / 1024, 1)} MiB`,
      },
      {
        name: "idle: SIGTERM → exit",
        value: Math.round(med((r) => r.stopMs)),
        unit: "ms",
        note: of,
      },
      {
        name: "idle: runs exiting 0 on SIGTERM",
        value: exitedZero,
        unit: `of ${runs}`,
        target: { op: ">=", value: runs },
        note: `exit codes: ${results.map((r) => r.exitCode).join(", ")}`,
      },
    ];
  } finally {
    await telegram?.close().catch(() => {});
    await db?.stop().catch(() => {});
  }
}

/** One start → idle → SIGTERM cycle. */
async function runOnce(
  [command, args]: [string, string[]],
  databaseUrl: string,
  telegram: BotApiDouble,
  idleMs: number,
): Promise<RunResult> {
  const port = await freePort();
  let output = "";
  const requestsBefore = telegram.requests.length;
  // A customer's /start waits in getUpdates: its answer shows when the bot really works.
  const chat = 700_000 + port;
  const spawnedAt = performance.now();
  const spawnedEpoch = Date.now();
  telegram.sendText(chat, "/start");
  const child = spawn(command, args, {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? projectRoot,
      DATABASE_URL: databaseUrl,
      TELEGRAM_CUSTOMER_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.url,
      TELEGRAM_CHAT_ID_KEY: randomBytes(32).toString("base64"),
      LINK_VERIFICATION: "none",
      PORT: String(port),
      // Node's compile cache (Node 22+): its folder, or off, as the bench was started with.
      ...pick(process.env, ["NODE_COMPILE_CACHE", "NODE_DISABLE_COMPILE_CACHE", "TMPDIR"]),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on("exit", (code) => resolve({ code, at: performance.now() })),
  );
  let service: number | undefined;
  try {
    const startupMs = await waitForHealth(port, child, spawnedAt, () => output);
    const tree = await descendants(child.pid ?? 0);
    service = await serviceProcess(child.pid ?? 0, tree);
    const startupCpuS = await processCpuSeconds(service);
    const launcherMs = (await startTicks(service)) - (await startTicks(child.pid ?? 0));
    const firstReply = await telegram
      .waitForMessages(1, { chatId: chat, timeoutMs: 10_000 })
      .catch(() => {
        const calls = telegram.requests.slice(requestsBefore).map((r) => `${r.method} ${r.status}`);
        throw new Error(
          `no answer to /start within 10 s of /healthz (Bot API calls: ${calls.join(", ") || "none"})\n${output}`,
        );
      });
    await sleep(idleMs);
    const rssKiB = await rss(service);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    const gauge = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(metrics)?.[1] ?? Number.NaN);
    const heapUsedMiB = gauge("nodejs_heap_size_used_bytes") / 2 ** 20;
    let wrappersRssKiB = 0;
    for (const pid of [child.pid ?? 0, ...tree]) {
      if (pid !== service) wrappersRssKiB += await rss(pid).catch(() => 0);
    }
    const stopAt = performance.now();
    process.kill(service, "SIGTERM");
    const exit = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(r, 15_000))]);
    if (!exit) throw new Error(`the service did not exit within 15 s of SIGTERM\n${output}`);
    return {
      startupMs,
      stepsMs: stepTimes(output, spawnedEpoch),
      startupCpuS,
      firstReplyMs: (firstReply[0]?.at ?? Number.NaN) - spawnedAt,
      launcherMs: launcherMs * 10,
      rssKiB,
      heapUsedMiB,
      wrappersRssKiB,
      stopMs: exit.at - stopAt,
      exitCode: exit.code,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      // Each process of the tree we started, by its id (deepest first).
      const pids = [...(await descendants(child.pid ?? 0)).reverse(), child.pid ?? 0];
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      await exited;
    }
  }
}

/** The variables of `env` among `names` that are set. */
function pick(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (env[name] ? [[name, env[name]]] : [])));
}

/** When the service logged each of STEPS, in ms after `spawnedEpoch` (its JSON lines' `time`). */
function stepTimes(output: string, spawnedEpoch: number): number[] {
  const lines = output.split("\n").flatMap((line) => {
    try {
      return [JSON.parse(line) as { time?: number; msg?: string }];
    } catch {
      return [];
    }
  });
  return STEPS.map(([, start]) => {
    const time = lines.find((line) => line.msg?.startsWith(start))?.time;
    return time === undefined ? Number.NaN : time - spawnedEpoch;
  });
}

/** Polls /healthz every 10 ms; the time from spawn to the first 200. */
async function waitForHealth(
  port: number,
  child: ChildProcess,
  spawnedAt: number,
  output: () => string,
): Promise<number> {
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`, {
      signal: AbortSignal.timeout(2_000),
    }).then(
      async (r) => {
        await r.arrayBuffer();
        return r.status === 200;
      },
      () => false,
    );
    if (ok) return performance.now() - spawnedAt;
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the service exited (${child.exitCode ?? child.signalCode})\n${output()}`);
    if (performance.now() - spawnedAt > STARTUP_TIMEOUT_MS)
      throw new Error(`no /healthz 200 within ${STARTUP_TIMEOUT_MS / 1000} s\n${output()}`);
    await sleep(10);
  }
}

/**
 * The service's own process: the deepest of the tree whose command line runs the service
 * (src/main.ts, or the dist/main.mjs bundle that `npm start` builds).
 */
async function serviceProcess(root: number, tree: number[]): Promise<number> {
  const candidates: number[] = [];
  for (const pid of [root, ...tree]) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    const args = cmdline.split("\0");
    if (args.includes("src/main.ts") || args.includes("dist/main.mjs")) candidates.push(pid);
  }
  const service = candidates.at(-1);
  if (service === undefined) throw new Error("no process of the tree runs the service");
  return service;
}

await runBenchScript(
  import.meta.url,
  {
    runs: { type: "string", default: "3" },
    "idle-seconds": { type: "string", default: "5" },
    launcher: { type: "string", default: "node" },
    "node-flags": { type: "string" },
    node: { type: "string" },
  },
  (values) => {
    const launcher = values.launcher;
    if (launcher !== "npm" && launcher !== "npx" && launcher !== "node") {
      console.error(`--launcher must be npm, npx or node (got "${launcher}")`);
      process.exit(1);
    }
    return benchIdle({
      runs: Number(values.runs),
      idleSeconds: Number(values["idle-seconds"]),
      launcher,
      ...(values.node !== undefined ? { node: values.node } : {}),
      ...(values["node-flags"] !== undefined
        ? { nodeFlags: values["node-flags"].split(/\s+/).filter(Boolean) }
        : {}),
    });
  },
);
