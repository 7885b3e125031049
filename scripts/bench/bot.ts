/**
 * "Bot" benchmark: how many customer commands the bot answers per second, and how long
 * one update takes, with the real bot (src/bot/bot.ts createBot + runBot, @grammyjs/runner
 * long polling, a pool of 10 connections as src/service.ts opens) against a Bot API double.
 *
 *   npx tsx scripts/bench/bot.ts [--updates 20000] [--rate 1000] [--paced-seconds 5] [--explain]
 *                                [--try-sql "CREATE INDEX …"] [--pool 10] [--concurrency 100]
 *
 * Set-up: an embedded PostgreSQL in a temp folder with the website's tables and every
 * migration; 10,000 customers, 100,000 tuning files and 20,000 orders; 1,000 customers
 * linked to Telegram (chat ids encrypted with ChatIdCipher, as the bot stores them).
 * The Bot API double (double/bot-api-double.ts, `record: false`) runs in a worker
 * thread, so its own work (HTML checks, JSON) is not charged to the bot's event loop.
 *
 * Load: `/files`, `/orders`, `/start` in equal parts from the 1,000 linked private chats
 * (round robin: 1,000 updates separate two of one chat), through getUpdates. After a
 * warm-up of 2,000 updates:
 * - updates/s: `--updates` injected at once; from the first injection to the double
 *   accepting the last reply (every update gets exactly one reply, checked);
 * - handler time per update: `bot.handleUpdate` wrapped (the runner's sink calls
 *   handleUpdate for each update; the bench passes no metrics, so the bot's metrics
 *   middleware is not installed), so the whole middleware stack including waits for a pool
 *   connection and the reply's round trip to the double, not the time an update waits in
 *   the runner's queue. The target applies at a steady `--rate`, injected in waves every
 *   10 ms for `--paced-seconds`. Under the flood it is shown too, without target: with 100
 *   updates in flight (the runner's sink) it is ≈ 100 / throughput (Little's law).
 * `peer`: the same figures for a grammY bot on the same runner and double that only
 * replies (no database): the floor this machine allows.
 * When the warm-up shows the bot is slow, the flood and the steady load are shortened
 * (≈45 s and ≈15 s of work) so that a run stays near 2 minutes; the log says so.
 * `--explain` prints EXPLAIN (ANALYZE, BUFFERS) of the queries each command runs;
 * `--try-sql`, `--pool`, `--concurrency` try a change before making it (the rows say so).
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { type RunnerHandle, run, sequentialize } from "@grammyjs/runner";
import { Bot, type Context } from "grammy";
import postgres from "postgres";
import { type CustomerBot, createBot, runBot } from "../../src/bot/bot.ts";
import { MESSAGES } from "../../src/bot/messages.ts";
import { ChatIdCipher } from "../../src/chat-id.ts";
import { createLogger } from "../../src/log.ts";
import { numberOption, runBenchScript } from "./lib/cli.ts";
import { type BenchDatabase, startBenchDatabase } from "./lib/database.ts";
import { processCpuSeconds, serverCpuSeconds } from "./lib/proc.ts";
import { type BenchRow, percentile, round } from "./lib/report.ts";

/** One line of a benchmark's result table. */
export interface BotBenchOptions {
  /** Updates injected at once for the throughput figure. Defaults to 20,000. */
  updates?: number;
  /** Steady rate (updates/s) at which handler times are measured. Defaults to 1,000. */
  rate?: number;
  /** How long the steady phase lasts. Defaults to 5 s. */
  pacedSeconds?: number;
  /** Print EXPLAIN (ANALYZE, BUFFERS) of the bot's queries after the run. */
  explain?: boolean;
  /** The bot's pool size. Defaults to 10, as src/service.ts opens it. */
  pool?: number;
  /** Updates handled at once (runBot's sink). Defaults to runBot's 100. */
  concurrency?: number;
  /** SQL run after the migrations, to try a change (an index...) before writing its migration. */
  trySql?: string;
  log?: (line: string) => void;
}

const CUSTOMERS = 10_000;
const FILES = 100_000;
const ORDERS = 20_000;
const LINKED = 1_000;
const WARM_UP = 2_000;
/** Telegram user ids of the linked customers: FIRST_CHAT + 1 … FIRST_CHAT + LINKED. */
const FIRST_CHAT = 5_000_000_000;
const COMMANDS = ["/files", "/orders", "/start"] as const;
const WAVE_MS = 10;

/** Runs the benchmark; returns its rows. */
export async function benchBot(options: BotBenchOptions = {}): Promise<BenchRow[]> {
  const log = options.log ?? ((line: string) => console.error(line));
  const floodUpdates = options.updates ?? 20_000;
  const rate = options.rate ?? 1_000;
  const pacedUpdates = Math.round(rate * (options.pacedSeconds ?? 5));
  const cipher = ChatIdCipher.fromBase64(randomBytes(32).toString("base64"));

  let db: BenchDatabase | undefined;
  let sql: postgres.Sql | undefined;
  let telegram: DoubleWorker | undefined;
  let runner: RunnerHandle | undefined;
  let customerBot: CustomerBot | undefined;
  try {
    db = await startBenchDatabase("bot");
    const url = db.url;
    // As src/service.ts opens it.
    sql = postgres(url, {
      max: options.pool ?? 10,
      onnotice: () => {},
      connection: { application_name: "compucar-customer-bot" },
    });
    const seedStart = performance.now();
    await seed(sql, cipher);
    log(`seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
    if (options.trySql) {
      log(`trying: ${options.trySql}`);
      await sql.unsafe(options.trySql);
      await sql`ANALYZE`;
    }

    telegram = await DoubleWorker.start();
    const bot = createBot({
      token: telegram.token,
      apiRoot: telegram.url,
      sql,
      chatIds: cipher,
      logger: createLogger("silent"),
      websiteUrl: "https://compucar.pro",
      linkVerification: "none",
      support: { email: "support@compucar.pro" },
    });
    customerBot = bot;
    // What the replies say: every chat is linked, so never "link first" or "went wrong".
    const replies = { files: 0, orders: 0, welcome: 0, needLink: 0, error: 0, other: 0 };
    const en = MESSAGES.en;
    bot.api.config.use((prev, method, payload, signal) => {
      if (method === "sendMessage") {
        const text = String((payload as { text?: unknown }).text ?? "");
        if (text.includes(en.filesTitle)) replies.files++;
        else if (text.includes(en.ordersTitle)) replies.orders++;
        else if (text === en.needLink) replies.needLink++;
        else if (text === en.error) replies.error++;
        else if (text === en.welcomeBack("Karim")) replies.welcome++;
        else replies.other++;
      }
      return prev(method, payload, signal);
    });

    const plan = { floodUpdates, rate, pacedUpdates };
    const ours = await drive(
      "bot",
      bot,
      () => {
        runner = runBot(bot, { logger: createLogger("silent"), concurrency: options.concurrency });
        return runner;
      },
      telegram,
      plan,
      log,
      db.postmaster,
    );
    runner = undefined;
    const expected = { files: 0, orders: 0, welcome: 0 };
    for (let i = 0; i < ours.sent; i++) {
      const command = commandOf(i);
      if (command === "/files") expected.files++;
      else if (command === "/orders") expected.orders++;
      else expected.welcome++;
    }
    if (
      ours.failures > 0 ||
      replies.files !== expected.files ||
      replies.orders !== expected.orders ||
      replies.welcome !== expected.welcome
    ) {
      throw new Error(
        `the bot did not answer as expected: ${ours.failures} failed update(s); replies ${JSON.stringify(replies)}, expected ${JSON.stringify(expected)}`,
      );
    }

    // The floor: the same runner, double and replies, without a database or any logic.
    const floor = new Bot(telegram.token, {
      client: { apiRoot: telegram.url },
      botInfo: bot.botInfo,
    });
    floor.use(sequentialize((ctx: Context) => ctx.chat?.id.toString()));
    const welcome = en.welcomeBack("Karim");
    floor.on("message", (ctx) =>
      ctx.reply(welcome, { parse_mode: "HTML", link_preview_options: { is_disabled: true } }),
    );
    const peer = await drive(
      "peer (no database)",
      floor,
      () => {
        runner = run(floor, {
          runner: { fetch: { allowed_updates: ["message", "callback_query", "my_chat_member"] } },
          sink: { concurrency: options.concurrency ?? 100 },
        });
        return runner;
      },
      telegram,
      plan,
      log,
      db.postmaster,
    );
    runner = undefined;

    if (options.explain) await explain(sql, cipher, log);

    const tried = [
      options.trySql && "--try-sql",
      options.pool !== undefined && `pool ${options.pool}`,
      options.concurrency !== undefined && `concurrency ${options.concurrency}`,
    ].filter(Boolean);
    const variant = tried.length > 0 ? ` (${tried.join(", ")})` : "";
    const inFlight = options.concurrency ?? 100;
    const peerNote = "peer: a grammY bot on the same runner and double that only replies";
    return [
      {
        name: `bot: updates/s (${LINKED.toLocaleString("en")} chats, /files /orders /start)${variant}`,
        value: Math.round(ours.perSecond),
        unit: "updates/s",
        target: { op: ">=", value: 2000 },
        peer: Math.round(peer.perSecond),
        note: `${ours.floodUpdates.toLocaleString("en")} updates injected at once, first injected → last reply at the double; ${peerNote}`,
      },
      {
        name: `bot: CPU per update under the flood, bot + PostgreSQL${variant}`,
        value: Math.round(ours.cpu.bot + ours.cpu.server),
        unit: "µs",
        peer: Math.round(peer.cpu.bot + peer.cpu.server),
        note: `bot ${Math.round(ours.cpu.bot)} + PostgreSQL ${Math.round(ours.cpu.server)} µs (peer ${Math.round(peer.cpu.bot)} + ${Math.round(peer.cpu.server)}): the bench process's CPU time without the double's thread, and the server's from /proc, first injection → last reply, ÷ updates; steadier than updates/s on a shared machine`,
      },
      {
        name: `bot: handler time p50 at ${rate.toLocaleString("en")} updates/s${variant}`,
        value: round(percentile(ours.paced, 50), 2),
        unit: "ms",
        peer: round(percentile(peer.paced, 50), 2),
        note: `bot.handleUpdate wrapped (whole middleware stack, pool waits, reply round trip); ${ours.pacedUpdates.toLocaleString("en")} updates in waves every ${WAVE_MS} ms, ${Math.round(ours.achieved)} updates/s achieved`,
      },
      {
        name: `bot: handler time p99 at ${rate.toLocaleString("en")} updates/s${variant}`,
        value: round(percentile(ours.paced, 99), 2),
        unit: "ms",
        target: { op: "<=", value: 20 },
        peer: round(percentile(peer.paced, 99), 2),
      },
      {
        name: `bot: handler time p50 under the flood${variant}`,
        value: round(percentile(ours.flood, 50), 2),
        unit: "ms",
        peer: round(percentile(peer.flood, 50), 2),
        note: `${inFlight} updates in flight (runner sink): ≈ ${inFlight} / throughput (Little's law)`,
      },
      {
        name: `bot: handler time p99 under the flood${variant}`,
        value: round(percentile(ours.flood, 99), 2),
        unit: "ms",
        peer: round(percentile(peer.flood, 99), 2),
      },
    ];
  } finally {
    await runner?.stop().catch(() => {});
    await customerBot?.stopUsage().catch(() => {});
    await telegram?.close().catch(() => {});
    await sql?.end({ timeout: 5 }).catch(() => {});
    await db?.stop().catch(() => {});
  }
}

/** The command of the i-th update: equal parts, each chat's rotating (chats round robin). */
function commandOf(i: number): string {
  return COMMANDS[(i + Math.floor(i / LINKED)) % COMMANDS.length] as string;
}

let nextUpdate = 0;

/**
 * Warm-up, flood, then steady load through `start`'s runner (stopped at the end); handler
 * times from wrapping `bot.handleUpdate`, which the runner's sink calls for every update.
 */
async function drive<C extends Context>(
  label: string,
  bot: Bot<C>,
  start: () => RunnerHandle,
  telegram: DoubleWorker,
  plan: { floodUpdates: number; rate: number; pacedUpdates: number },
  log: (line: string) => void,
  postmaster: number | undefined,
): Promise<{
  perSecond: number;
  /** CPU µs per update over the flood: the bench process without the double's thread; PostgreSQL. */
  cpu: { bot: number; server: number };
  achieved: number;
  flood: number[];
  paced: number[];
  failures: number;
  sent: number;
  floodUpdates: number;
  pacedUpdates: number;
}> {
  let samples: number[] = [];
  let failures = 0;
  const handle = bot.handleUpdate.bind(bot);
  bot.handleUpdate = async (update, webhookReplyEnvelope) => {
    const begin = performance.now();
    const into = samples;
    try {
      return await handle(update, webhookReplyEnvelope);
    } catch (error) {
      failures++;
      throw error;
    } finally {
      into.push(performance.now() - begin);
    }
  };
  const first = nextUpdate;
  const updates = (n: number): Array<[number, string]> =>
    Array.from({ length: n }, () => {
      const i = nextUpdate++;
      return [FIRST_CHAT + 1 + (i % LINKED), commandOf(i - first)];
    });
  const runner = start();
  try {
    log(`${label}: warm-up, ${WARM_UP} updates`);
    const warm = await telegram.load(updates(WARM_UP), { waveSize: WARM_UP, intervalMs: 0 });
    // Bounded run time: at most ~45 s of flood and ~15 s of steady load at the warm-up's pace.
    const warmRate = WARM_UP / (warm.ms / 1000);
    const floodUpdates = Math.min(plan.floodUpdates, Math.max(5_000, Math.round(warmRate * 45)));
    const pacedUpdates = Math.min(plan.pacedUpdates, Math.max(1_000, Math.round(warmRate * 15)));
    if (floodUpdates < plan.floodUpdates || pacedUpdates < plan.pacedUpdates)
      log(
        `${label}: ${warmRate.toFixed(0)} updates/s in the warm-up: ${floodUpdates} updates for the flood, ${pacedUpdates} for the steady load, to keep the run short`,
      );

    samples = [];
    const flood = samples;
    const before = await cpuSeconds(telegram, postmaster);
    const burst = await telegram.load(updates(floodUpdates), {
      waveSize: floodUpdates,
      intervalMs: 0,
    });
    const after = await cpuSeconds(telegram, postmaster);
    const perSecond = floodUpdates / (burst.ms / 1000);
    const cpu = {
      bot: ((after.bot - before.bot) / floodUpdates) * 1e6,
      server: ((after.server - before.server) / floodUpdates) * 1e6,
    };
    log(
      `${label}: flood of ${floodUpdates} in ${burst.ms.toFixed(0)} ms, ${perSecond.toFixed(0)} updates/s; CPU per update: bench process without the double ${cpu.bot.toFixed(0)} µs, PostgreSQL ${cpu.server.toFixed(0)} µs`,
    );

    const waveSize = Math.max(1, Math.round((plan.rate * WAVE_MS) / 1000));
    samples = [];
    const paced = samples;
    const steady = await telegram.load(updates(pacedUpdates), {
      waveSize,
      intervalMs: WAVE_MS,
    });
    const achieved = pacedUpdates / (steady.ms / 1000);
    log(
      `${label}: ${pacedUpdates} at ${plan.rate}/s (${waveSize} every ${WAVE_MS} ms) in ${steady.ms.toFixed(0)} ms, ${achieved.toFixed(0)} updates/s achieved`,
    );
    return {
      perSecond,
      cpu,
      achieved,
      flood,
      paced,
      failures,
      sent: nextUpdate - first,
      floodUpdates,
      pacedUpdates,
    };
  } finally {
    await runner.stop();
  }
}

/**
 * CPU seconds so far of the bench process without the double's thread (the bot or the
 * peer, grammY, the runner, postgres.js, GC), and of PostgreSQL (NaN without a postmaster).
 */
async function cpuSeconds(
  telegram: DoubleWorker,
  postmaster: number | undefined,
): Promise<{ bot: number; server: number }> {
  const usage = process.cpuUsage();
  const double = await processCpuSeconds(telegram.thread);
  return {
    bot: (usage.user + usage.system) / 1e6 - double,
    server: postmaster === undefined ? Number.NaN : await serverCpuSeconds(postmaster),
  };
}

/** Customers, files and orders; the first LINKED customers linked to chats FIRST_CHAT + n. */
async function seed(sql: postgres.Sql, cipher: ChatIdCipher): Promise<void> {
  const ids = Array.from({ length: LINKED }, (_, i) => `user-${i + 1}`);
  const chats = Array.from({ length: LINKED }, (_, i) => cipher.encrypt(FIRST_CHAT + i + 1));
  await sql.begin(async (tx) => {
    // The website's rows, without the telegram triggers turning 120,000 inserts into events.
    await tx`SET LOCAL session_replication_role = replica`;
    await tx`
      INSERT INTO users (id, email, "firstName", "lastName", "updatedAt")
      SELECT 'user-' || g, 'customer' || g || '@example.com', 'Karim', 'Customer' || g, now()
        FROM generate_series(1, ${CUSTOMERS}::int) g`;
    await tx`
      INSERT INTO tuning_files (id, "userId", "originalFilename", "r2Key", "fileSize", "fileType",
                                status, "estimatedProcessingTime", "createdAt", "updatedAt")
      SELECT 'file-' || g, 'user-' || (1 + g % ${CUSTOMERS}::int), 'stage1_golf_tdi_' || g || '.bin',
             'key-' || g, 524288, 'bin',
             (ARRAY['RECEIVED', 'PENDING', 'READY']::"TuningFileStatus"[])[1 + g % 3], 30,
             now() - g * interval '1 minute', now()
        FROM generate_series(1, ${FILES}::int) g`;
    await tx`
      INSERT INTO orders (id, "orderNumber", "userId", status, subtotal, total, "shippingMethod",
                          "trackingNumber", "createdAt", "updatedAt")
      SELECT 'order-' || g, 'CC-' || lpad(g::text, 6, '0'), 'user-' || (1 + g % ${CUSTOMERS}::int),
             (ARRAY['PENDING', 'CONFIRMED', 'SHIPPED']::"OrderStatus"[])[1 + g % 3], 100, 100, 'standard',
             CASE WHEN g % 3 = 2 THEN 'TRK' || g END, now() - g * interval '5 minutes', now()
        FROM generate_series(1, ${ORDERS}::int) g`;
    await tx`
      UPDATE users u SET "telegramChatId" = l.chat, "telegramLinkedAt" = now()
        FROM unnest(${ids}::text[], ${chats}::text[]) AS l(id, chat)
       WHERE u.id = l.id`;
  });
  await sql`VACUUM ANALYZE`;
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of what one update of each command runs (the queries in src/data/); the
 * usage counters are written every 5 s, not per update (src/bot/usage.ts).
 */
async function explain(
  sql: postgres.Sql,
  cipher: ChatIdCipher,
  log: (line: string) => void,
): Promise<void> {
  const chat = FIRST_CHAT + 1;
  const forms = cipher.storedForms(chat);
  const userId = "user-1";
  const queries: Array<[string, postgres.PendingQuery<postgres.Row[]>]> = [
    [
      "chat lookup (account, language override; src/data/customers.ts lookUpChat)",
      sql`EXPLAIN (ANALYZE, BUFFERS)
            SELECT u.id, u."firstName", u."lastName", u.email, u.language, u.timezone, p.language AS "preferredLanguage"
              FROM users u LEFT JOIN telegram.chat_prefs p ON p.user_id = u.id
             WHERE u."telegramChatId" IN (${forms[0] ?? ""}, ${forms[1] ?? ""})
             ORDER BY u."telegramChatId" = ${forms[0] ?? ""} DESC, u."telegramLinkedAt" DESC NULLS LAST, u.id
             LIMIT 1`,
    ],
    [
      "/files",
      sql`EXPLAIN (ANALYZE, BUFFERS) SELECT id, "originalFilename" AS name, status::text AS status, "estimatedProcessingTime" AS eta, "createdAt" AS uploaded
            FROM tuning_files WHERE "userId" = ${userId} ORDER BY "createdAt" DESC LIMIT 5`,
    ],
    [
      "/orders",
      sql`EXPLAIN (ANALYZE, BUFFERS) SELECT "orderNumber" AS number, status::text AS status, "createdAt" AS created, "trackingNumber" AS tracking
            FROM orders WHERE "userId" = ${userId} ORDER BY "createdAt" DESC LIMIT 5`,
    ],
  ];
  for (const [name, query] of queries) {
    const plan = await query;
    log(`\n-- ${name}`);
    for (const row of plan) log(String(row["QUERY PLAN"]));
  }
}

/** The Bot API double, in a worker thread, injecting updates and counting replies. */
class DoubleWorker {
  private constructor(
    private readonly worker: Worker,
    readonly url: string,
    readonly token: string,
    /** The worker's thread id, for its CPU time in /proc (`processCpuSeconds`). */
    readonly thread: string,
  ) {}

  static async start(): Promise<DoubleWorker> {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        tsx: import.meta.resolve("tsx/esm/api"),
        double: pathToFileURL(path.join(here, "../../double/bot-api-double.ts")).href,
      },
    });
    const ready = await nextMessage(worker);
    if (ready.type !== "ready") throw new Error(`Bot API double: ${ready.message}`);
    return new DoubleWorker(
      worker,
      String(ready.url),
      String(ready.token),
      `${process.pid}/task/${ready.thread}`,
    );
  }

  /**
   * Injects the updates (`[chat, text]`) in waves of `waveSize` every `intervalMs` (all at
   * once when 0) and resolves when the double has accepted one reply per update, with the
   * time from the first injection to the last reply.
   */
  async load(
    updates: Array<[number, string]>,
    pacing: { waveSize: number; intervalMs: number },
  ): Promise<{ ms: number }> {
    const answer = nextMessage(this.worker);
    this.worker.postMessage({ type: "load", updates, ...pacing, timeoutMs: 120_000 });
    const done = await answer;
    if (done.type !== "loaded") throw new Error(`Bot API double: ${done.message}`);
    return { ms: Number(done.ms) };
  }

  async close(): Promise<void> {
    const answer = nextMessage(this.worker).catch(() => undefined);
    this.worker.postMessage({ type: "close" });
    await Promise.race([answer, new Promise((r) => setTimeout(r, 2_000))]);
    await this.worker.terminate();
  }
}

type WorkerMessage = { type: string; message?: string } & Record<string, unknown>;

function nextMessage(worker: Worker): Promise<WorkerMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerMessage) => {
      worker.off("error", onError);
      worker.off("exit", onExit);
      resolve(message);
    };
    const onError = (error: Error) => {
      worker.off("message", onMessage);
      worker.off("exit", onExit);
      reject(error);
    };
    const onExit = (code: number) => {
      worker.off("message", onMessage);
      worker.off("error", onError);
      reject(new Error(`the Bot API double's worker exited (${code})`));
    };
    worker.once("message", onMessage);
    worker.once("error", onError);
    worker.once("exit", onExit);
  });
}

/** The worker (plain JavaScript; tsx registered so it can import the TypeScript double). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
(async () => {
  const { register } = await import(workerData.tsx);
  register();
  const { BotApiDouble } = await import(workerData.double);
  const double = await BotApiDouble.start({ record: false });
  parentPort.on("message", async (msg) => {
    if (msg.type === "close") {
      await double.close();
      parentPort.postMessage({ type: "closed" });
      return;
    }
    const { updates, waveSize, intervalMs, timeoutMs } = msg;
    const goal = double.stats().accepted + updates.length;
    const start = performance.now();
    const done = double.waitFor(() => double.stats().accepted >= goal, timeoutMs);
    let i = 0;
    const wave = () => {
      const end = Math.min(updates.length, i + waveSize);
      for (; i < end; i++) {
        const [chat, text] = updates[i];
        double.sendText(chat, text, { from: { id: chat, first_name: "Karim", language_code: "en" } });
      }
      if (i < updates.length) {
        const waves = Math.ceil(i / waveSize);
        setTimeout(wave, Math.max(0, start + waves * intervalMs - performance.now()));
      }
    };
    wave();
    try {
      await done;
      parentPort.postMessage({ type: "loaded", ms: performance.now() - start });
    } catch (error) {
      parentPort.postMessage({
        type: "failed",
        message: String(error) + " (" + (double.stats().accepted - goal + updates.length) + " of " + updates.length + " replies)",
      });
    }
  });
  const thread = require("node:fs").readFileSync("/proc/thread-self/stat", "utf8").split(" ")[0];
  parentPort.postMessage({ type: "ready", url: double.url, token: double.token, thread });
})().catch((error) => parentPort.postMessage({ type: "failed", message: String(error && error.stack || error) }));
`;

await runBenchScript(
  import.meta.url,
  {
    updates: { type: "string", default: "20000" },
    rate: { type: "string", default: "1000" },
    "paced-seconds": { type: "string", default: "5" },
    explain: { type: "boolean", default: false },
    "try-sql": { type: "string" },
    pool: { type: "string" },
    concurrency: { type: "string" },
  },
  (values) =>
    benchBot({
      updates: Number(values.updates),
      rate: Number(values.rate),
      pacedSeconds: Number(values["paced-seconds"]),
      explain: values.explain,
      trySql: values["try-sql"],
      pool: numberOption(values.pool),
      concurrency: numberOption(values.concurrency),
    }),
);
