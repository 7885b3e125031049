/**
 * npm run demo: the whole product offline, for someone evaluating it or training support
 * staff. An embedded PostgreSQL with the website's tables and a demo customer, the bot
 * and the notifier, and a local Telegram (the Bot API double). Type as the customer, or
 * act as the website, and watch the messages arrive. Ctrl-C stops everything.
 *
 *   npm run demo                 interactive
 *   npm run demo -- --keep       keep the demo database in ./.data/demo between runs
 *   echo "/files" | npm run demo non-interactive: runs the lines of stdin, then stops
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import postgres from "postgres";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { ChatIdCipher } from "../src/chat-id.ts";
import { DEMO_CHAT_ID_KEY, DEMO_TELEGRAM_TOKEN } from "../src/config.ts";
import { freePort, startEmbeddedPostgres } from "../src/db/embedded.ts";
import { loadWebsiteSchema, projectRoot, runMigrations } from "../src/db/migrations.ts";
import { createLogger } from "../src/log.ts";
import { readCommandLine } from "../src/ops/cli.ts";
import { startService } from "../src/service.ts";
import { FILE_STATUSES } from "../src/vocabulary.ts";

const CUSTOMER_CHAT = 424242;
const CUSTOMER = {
  id: CUSTOMER_CHAT,
  first_name: "Karim",
  username: "karim_dz",
  language_code: "en",
};
const USER_ID = "demo-user-karim";
const FILE_ID = "demo-file-golf";

const USAGE = `usage: npm run demo [-- --keep]
       printf '/files\\nstatus READY\\n' | npm run demo

The whole product offline: an embedded PostgreSQL with the website's tables and a linked
demo customer, the bot and the notifier, and a local Telegram (the Bot API double). Type as
the customer or act as the website and watch the messages arrive; Ctrl-C stops everything.
Lines piped on stdin run without a prompt. Needs no configuration; touches no other
database (a fresh one in a temporary folder, removed at the end).

Options:
  --keep       keep the demo database in ./.data/demo between runs
  -h, --help   this text

Examples:
  npm run demo
  npm run demo -- --keep
  printf '/files\\nstatus READY 45\\ncomment Stage 1 done\\n' | npm run demo`;

const HELP = `
Type as the customer (anything you would send the bot):
  /start  /files  /orders  /settings  /support  /help  /unlink  /link demo@compucar.pro
  press <n>                 press button n of the bot's last message
Act as the website (each is the statement the website runs):
  upload <filename>         the customer uploads a file
  status <RECEIVED|PENDING|READY> [minutes]   an admin changes the status of the last file
  comment <text>            an admin comments on the last file
  modified                  an admin uploads the modified file (status READY)
  paid                      the last file is paid
  order                     the customer places an order
  confirm | ship [tracking] | deliver     the last order moves on
  payment                   a payment for the last order succeeds
  help | quit
`;

async function main(): Promise<void> {
  const { values } = readCommandLine({ usage: USAGE, options: { keep: { type: "boolean" } } });
  const interactive = process.stdin.isTTY === true;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  // What has started so far, stopped in reverse by `stop`: Ctrl-C may come at any step,
  // also while the embedded PostgreSQL is still being created.
  const parts: {
    dir?: string;
    pg?: { stop(): Promise<void> };
    sql?: postgres.Sql;
    telegram?: BotApiDouble;
    service?: { stop(): Promise<void> };
    watcher?: NodeJS.Timeout;
    showNew?: () => void;
  } = {};
  let inFlight: Promise<unknown> = Promise.resolve();
  /**
   * Awaits a start-up step, which `stop` lets finish (or fail) before cleaning up. A step
   * that fails because Ctrl-C stopped its PostgreSQL is no failure: `stop` ends the demo.
   */
  const step = <T>(p: Promise<T>): Promise<T> => {
    inFlight = p;
    return p.catch((error: unknown) => {
      if (stopping) return new Promise<never>(() => {});
      throw error;
    });
  };
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await Promise.race([inFlight.catch(() => {}), sleep(STEP_PATIENCE_MS)]);
      await sleep(300);
      parts.showNew?.();
      clearInterval(parts.watcher);
      out("\nStopping the demo...");
      // Ctrl-C also reaches the embedded PostgreSQL (same process group): each step may
      // find it gone already, which is fine.
      const quietly = (p: Promise<unknown> | undefined) => p?.catch(() => {});
      await quietly(parts.service?.stop());
      await quietly(parts.telegram?.close());
      await quietly(parts.sql?.end({ timeout: 2 }));
      await quietly(parts.pg?.stop());
      if (!values.keep && parts.dir)
        await quietly(rm(parts.dir, { recursive: true, force: true, maxRetries: 5 }));
      out("Stopped.");
    })();
    return stopping;
  };
  const stopAndExit = () => void stop().then(() => process.exit(0));
  process.on("SIGINT", stopAndExit);
  process.on("SIGTERM", stopAndExit);

  const dir = values.keep
    ? path.join(projectRoot, ".data", "demo")
    : await step(mkdtemp(path.join(tmpdir(), "compucar-demo-")));
  parts.dir = dir;

  out("Starting the CompuCar customer bot demo (embedded PostgreSQL, local Telegram)...");
  const pg = await step(startEmbeddedPostgres({ dir: path.join(dir, "pg") }));
  parts.pg = pg;
  if (stopping) return;
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = 'compucar_demo'`;
  if (!exists) await admin`CREATE DATABASE compucar_demo`;
  await admin.end();
  const url = pg.url.replace(/\/postgres$/, "/compucar_demo");
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  parts.sql = sql;
  const [{ present }] = await step(
    sql<[{ present: boolean }]>`SELECT to_regclass('public.users') IS NOT NULL AS present`,
  );
  if (!present) await step(loadWebsiteSchema(url));
  await step(runMigrations(url));
  await step(seed(sql));

  const telegram = await step(
    BotApiDouble.start({ token: DEMO_TELEGRAM_TOKEN, botUsername: "CompuCarDemoBot" }),
  );
  parts.telegram = telegram;
  if (stopping) return;
  const startingService = startService({
    demo: true,
    signals: false,
    logger: createLogger("warn"),
    env: {
      DATABASE_URL: url,
      TELEGRAM_API_ROOT: telegram.url,
      TELEGRAM_CUSTOMER_BOT_TOKEN: DEMO_TELEGRAM_TOKEN,
      TELEGRAM_CHAT_ID_KEY: DEMO_CHAT_ID_KEY,
      LINK_VERIFICATION: "none",
      PORT: String(await freePort()),
      NOTIFY_MAX_PER_SECOND: "0",
      SUPPORT_EMAIL: "support@compucar.pro",
      SUPPORT_PHONE: "+213 555 00 00 00",
      SUPPORT_HOURS: "Sun–Thu 9:00–17:00",
      SUPPORT_HOURS_FR: "du dimanche au jeudi, 9 h–17 h",
      SUPPORT_HOURS_AR: "من الأحد إلى الخميس، 9:00–17:00",
      LOG_LEVEL: "warn",
    },
  });
  const service = await step(startingService);
  parts.service = service;
  if (stopping) return;

  let shown = 0;
  const showNew = () => {
    const messages = telegram.sent(CUSTOMER_CHAT);
    for (; shown < messages.length; shown++) {
      const m = messages[shown];
      if (m) out(`\n📱 Telegram → Karim:\n${indent(plain(m.text))}${buttons(m.reply_markup)}\n`);
    }
  };
  parts.showNew = showNew;
  parts.watcher = setInterval(showNew, 100);

  let lastFile = FILE_ID;
  let lastOrder: string | undefined;
  const act = async (line: string): Promise<boolean> => {
    const [word = "", ...rest] = line.trim().split(/\s+/);
    const arg = rest.join(" ");
    const now = sql`now()`;
    switch (word.toLowerCase()) {
      case "":
        return true;
      case "help":
        out(HELP);
        return true;
      case "quit":
      case "exit":
        return false;
      case "press": {
        const last = [...telegram.sent(CUSTOMER_CHAT)]
          .reverse()
          .find((m) => m.reply_markup?.inline_keyboard);
        const flat = (last?.reply_markup?.inline_keyboard ?? []).flat() as Array<{
          text: string;
          callback_data?: string;
        }>;
        const button = flat[Number(arg) - 1];
        if (!last || !button?.callback_data) out("(no such button)");
        else
          await telegram.pressButton(CUSTOMER_CHAT, button.callback_data, {
            messageId: last.message_id,
            from: CUSTOMER,
          });
        return true;
      }
      case "upload":
        lastFile = `demo-file-${Date.now().toString(36)}`;
        await sql`INSERT INTO tuning_files (id, "userId", "originalFilename", "r2Key", "fileSize", "fileType", "updatedAt")
                  VALUES (${lastFile}, ${USER_ID}, ${arg || "stage2_passat_b8.bin"}, ${lastFile}, 2097152, 'bin', ${now})`;
        out("🌐 website: file uploaded");
        return true;
      case "status": {
        const problem = fileStatusProblem(rest);
        if (problem) {
          out(`(${problem})`);
          return true;
        }
        const [status = "PENDING", minutes] = rest;
        await sql`UPDATE tuning_files SET status = ${status.toUpperCase()}::"TuningFileStatus",
                    "estimatedProcessingTime" = coalesce(${minutes ? Number(minutes) : null}::int, "estimatedProcessingTime"),
                    "estimatedProcessingTimeSetAt" = CASE WHEN ${minutes ?? null}::text IS NULL THEN "estimatedProcessingTimeSetAt" ELSE now() END,
                    "updatedDate" = now(), "updatedAt" = now() WHERE id = ${lastFile}`;
        out(`🌐 website: status → ${status.toUpperCase()}${minutes ? ` (${minutes} min)` : ""}`);
        return true;
      }
      case "comment":
        await sql`UPDATE tuning_files SET "adminNotes" = ${arg || "Your file is in the queue."}, "updatedDate" = now(), "updatedAt" = now() WHERE id = ${lastFile}`;
        out("🌐 website: comment added");
        return true;
      case "modified":
        await sql`UPDATE tuning_files SET "modifiedFilename" = 'tuned.bin', "modifiedR2Key" = ${`mod-${Date.now()}`},
                    "modifiedFileType" = 'bin', "modifiedFileSize" = 2097152, "modifiedUploadDate" = now(),
                    status = 'READY', "updatedDate" = now(), "updatedAt" = now() WHERE id = ${lastFile}`;
        out("🌐 website: modified file uploaded");
        return true;
      case "paid":
        await sql`UPDATE tuning_files SET "paymentStatus" = 'PAID', "updatedAt" = now() WHERE id = ${lastFile}`;
        out("🌐 website: file paid");
        return true;
      case "order":
        lastOrder = `demo-order-${Date.now().toString(36)}`;
        await sql`INSERT INTO orders (id, "orderNumber", "userId", subtotal, total, "shippingMethod", "updatedAt")
                  VALUES (${lastOrder}, ${`CC-${Math.floor(Math.random() * 90000 + 10000)}`}, ${USER_ID}, 4500, 5000, 'yalidine', now())`;
        out("🌐 website: order placed");
        return true;
      case "confirm":
      case "ship":
      case "deliver": {
        if (!lastOrder) {
          out("(place an order first: order)");
          return true;
        }
        const target = word === "confirm" ? "CONFIRMED" : word === "ship" ? "SHIPPED" : "DELIVERED";
        const [order] = await sql<[{ status: string; number: string }]>`
          SELECT status::text AS status, "orderNumber" AS number FROM orders WHERE id = ${lastOrder}`;
        if (!order || !movesForward(order.status, target)) {
          out(`(order ${order?.number} is ${order?.status}: it cannot become ${target})`);
          return true;
        }
        if (word === "confirm")
          await sql`UPDATE orders SET status = 'CONFIRMED', "updatedAt" = now() WHERE id = ${lastOrder}`;
        if (word === "ship")
          await sql`UPDATE orders SET status = 'SHIPPED', "trackingNumber" = ${arg || "YAL-8841207"}, "shippedAt" = now(), "updatedAt" = now() WHERE id = ${lastOrder}`;
        if (word === "deliver")
          await sql`UPDATE orders SET status = 'DELIVERED', "codStatus" = 'DELIVERED', "deliveredAt" = now(), "updatedAt" = now() WHERE id = ${lastOrder}`;
        out(
          `🌐 website: order ${word === "confirm" ? "confirmed" : word === "ship" ? "shipped" : "delivered"}`,
        );
        return true;
      }
      case "payment":
        if (!lastOrder) {
          out("(place an order first: order)");
          return true;
        }
        await sql`INSERT INTO payments (id, "orderId", method, status, amount, "updatedAt", "paidAt")
                  VALUES (${`pay-${Date.now()}`}, ${lastOrder}, 'COD', 'SUCCEEDED', 5000, now(), now())`;
        out("🌐 website: payment received");
        return true;
      default:
        out(`👤 Karim → bot: ${line.trim()}`);
        await telegram.sendText(CUSTOMER_CHAT, line.trim(), { from: CUSTOMER });
        return true;
    }
  };

  out(`Ready. The demo customer Karim Benali (demo@compucar.pro) is linked to the bot.${HELP}`);
  out("🌐 website: the team starts processing Karim's file stage1_golf_tdi.bin (30 min)...");
  await act("status PENDING 30");

  const rl = createInterface({ input: process.stdin, terminal: interactive });
  if (interactive) {
    rl.setPrompt("> ");
    rl.prompt();
  }
  for await (const line of rl) {
    try {
      if (!(await act(line))) break;
    } catch (error) {
      out(`(failed: ${error instanceof Error ? error.message : String(error)})`);
    }
    await new Promise((r) => setTimeout(r, interactive ? 150 : 600));
    showNew();
    if (interactive) rl.prompt();
  }
  rl.close();
  await stop();
  process.exit(0);
}

/** Longest estimate the demo's admin may set, as the website's form allows: a week. */
const MAX_ETA_MINUTES = 10_080;

/** What is wrong with `status <RECEIVED|PENDING|READY> [minutes]`, as the admin page would say. */
function fileStatusProblem(args: string[]): string | undefined {
  const [status = "PENDING", minutes, ...extra] = args;
  if (extra.length > 0) return "usage: status <RECEIVED|PENDING|READY> [minutes]";
  if (!(FILE_STATUSES as readonly string[]).includes(status.toUpperCase()))
    return `${status} is not a file status: RECEIVED, PENDING or READY`;
  if (minutes !== undefined && !(/^\d{1,5}$/.test(minutes) && Number(minutes) <= MAX_ETA_MINUTES))
    return `minutes must be a whole number from 0 to ${MAX_ETA_MINUTES}, not ${minutes}`;
  return undefined;
}

/** An order's steps, in the one direction the website moves them. */
const ORDER_STEPS = ["PENDING", "CONFIRMED", "PROCESSING", "SHIPPED", "DELIVERED"];

/** Whether an order at `from` may move on to `to` (never back, never out of CANCELLED or REFUNDED). */
function movesForward(from: string, to: string): boolean {
  const at = ORDER_STEPS.indexOf(from);
  return at >= 0 && ORDER_STEPS.indexOf(to) > at;
}

/** How long Ctrl-C waits for a start-up step in progress before cleaning up anyway. */
const STEP_PATIENCE_MS = 15_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The demo customer, linked, with a file in progress and a past order. */
async function seed(sql: postgres.Sql): Promise<void> {
  const chatId = ChatIdCipher.fromBase64(DEMO_CHAT_ID_KEY).encrypt(CUSTOMER_CHAT);
  await sql`
    INSERT INTO users (id, email, "firstName", "lastName", language, timezone, "updatedAt",
                       "telegramChatId", "telegramUsername", "telegramLinkedAt")
    VALUES (${USER_ID}, 'demo@compucar.pro', 'Karim', 'Benali', 'en', 'Africa/Algiers', now(),
            ${chatId}, 'karim_dz', now())
    ON CONFLICT (id) DO NOTHING`;
  await sql`
    INSERT INTO tuning_files (id, "userId", "originalFilename", "r2Key", "fileSize", "fileType", status, "updatedAt")
    VALUES (${FILE_ID}, ${USER_ID}, 'stage1_golf_tdi.bin', 'demo/golf', 2097152, 'bin', 'RECEIVED', now())
    ON CONFLICT (id) DO UPDATE SET status = 'RECEIVED', "estimatedProcessingTime" = NULL`;
  await sql`
    INSERT INTO orders (id, "orderNumber", "userId", status, subtotal, total, "shippingMethod", "createdAt", "updatedAt")
    VALUES ('demo-order-1', 'CC-10427', ${USER_ID}, 'DELIVERED', 4500, 5000, 'yalidine', now() - interval '10 days',
            now() - interval '10 days')
    ON CONFLICT (id) DO NOTHING`;
  // What was seeded is history, not news.
  await sql`SELECT telegram.ingest_events()`;
  await sql`UPDATE telegram.outbox SET status = 'skipped', last_error = 'demo seed' WHERE status = 'pending'`;
}

/** Telegram HTML as a terminal shows it. */
function plain(html: string): string {
  return html
    .replace(/<a href="([^"]*)">([^<]*)<\/a>/g, "$2 ($1)")
    .replace(/<[^>]+>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `   ${l}`)
    .join("\n");
}

function buttons(markup: unknown): string {
  const rows = (
    markup as { inline_keyboard?: Array<Array<{ text: string; url?: string }>> } | undefined
  )?.inline_keyboard;
  if (!rows) return "";
  let n = 0;
  return `\n${rows.map((row) => `   ${row.map((b) => `[${++n}: ${b.text}${b.url ? ` → ${b.url}` : ""}]`).join(" ")}`).join("\n")}`;
}

main().catch((error) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
