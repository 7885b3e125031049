import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { ensureMigrated } from "../src/db/migration-check.ts";
import { loadWebsiteSchema, runMigrations } from "../src/db/migrations.ts";
import { createLogger } from "../src/log.ts";
import { createMetrics } from "../src/metrics.ts";
import { selfTest } from "../src/ops/self-test.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher, startNotifier } from "./support/notifier-harness.ts";
import { website } from "./support/website.ts";

// The website's tools drop what they do not model: `prisma db push` our two indexes on
// every deploy, `prisma db push --force-reset` every table (with our triggers and
// columns). graphile-migrate still records every migration as applied; `npm run migrate`
// must put everything back all the same.
let db: TestDatabase;
let telegram: BotApiDouble;

beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start({
    botUsername: "CompuCarBot",
    token: "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  });
});
afterAll(async () => {
  await telegram?.close();
  await db?.drop();
});

/** `npm run migrate` as the operator runs it, with `env` (PATH added); `output` as read (log messages, plain lines). */
async function npmRunMigrate(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "src/main.ts", "migrate", ...args],
      { env: { PATH: process.env.PATH ?? "", ...env } },
    );
    return { code: 0, output: asRead(stdout + stderr) };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: asRead(failed.stdout + failed.stderr) };
  }
}

/** The JSON log lines' messages and the plain lines, one per line. */
function asRead(output: string): string {
  return output
    .split("\n")
    .map((line) => (line.startsWith("{") ? (JSON.parse(line) as { msg: string }).msg : line))
    .join("\n");
}

/** Our objects on the website's tables, as the catalogue describes them. */
async function ours(sql: postgres.Sql) {
  const q = (text: string) =>
    sql.unsafe(text).then((rows) => rows.map((r) => Object.values(r).join(" | ")));
  return {
    triggers: await q(`
      SELECT tgrelid::regclass::text, pg_get_triggerdef(oid) FROM pg_trigger
       WHERE NOT tgisinternal ORDER BY 1, 2`),
    indexes: await q(`
      SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`),
    constraints: await q(`
      SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
       WHERE conrelid = 'public.users'::regclass ORDER BY 1`),
    columns: await q(`
      SELECT column_name, data_type FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = 'users' AND column_name LIKE 'telegram%'
       ORDER BY 1`),
  };
}

/** A website upload by a linked customer reaches their Telegram chat. */
async function uploadReachesTelegram(chat: number): Promise<void> {
  const { notifier } = startNotifier(db, telegram);
  await notifier.start();
  try {
    const site = website(db.sql);
    const userId = await site.createUser({ chatId: cipher.encrypt(chat) });
    await site.uploadFile(userId, `after-repair-${chat}.bin`);
    const [message] = await telegram.waitForMessages(1, { chatId: chat, timeoutMs: 30_000 });
    expect(message?.text).toContain(`after-repair-${chat}.bin`);
  } finally {
    await notifier.stop();
  }
}

describe("npm run migrate restores what the website's tools dropped", () => {
  it("after prisma db push dropped our indexes and someone dropped our triggers: all back, named, and the next upload reaches Telegram", async () => {
    const before = await ours(db.sql);
    await db.sql.unsafe(`
      DROP INDEX "public"."orders_userId_createdAt_idx";
      DROP INDEX "public"."tuning_files_userId_createdAt_idx";
      DROP TRIGGER telegram_record_file_upload ON tuning_files;
      DROP TRIGGER telegram_record_file_change ON tuning_files;
      DROP TRIGGER telegram_record_order_change ON orders;
      DROP TRIGGER telegram_record_payment_received ON payments;
      DROP TRIGGER telegram_audit_link ON users;`);

    // As the shop's owner role, whose password must not be printed.
    const url = new URL(db.url);
    url.username = `owner_${randomBytes(4).toString("hex")}`;
    url.password = randomBytes(12).toString("hex");
    await db.sql.unsafe(`CREATE ROLE ${url.username} LOGIN SUPERUSER PASSWORD '${url.password}'`);
    const { code, output } = await npmRunMigrate({ DATABASE_URL: url.toString() });
    await db.sql.unsafe(`DROP ROLE ${url.username}`);
    expect(code, output).toBe(0);
    expect(output).toContain(
      `migrating database "${db.name}" on ${url.hostname}:${url.port} as user "${url.username}"`,
    );
    expect(output).not.toContain(url.password);
    for (const line of [
      "repaired: index tuning_files_userId_createdAt_idx on public.tuning_files",
      "repaired: index orders_userId_createdAt_idx on public.orders",
      "repaired: trigger telegram_record_file_upload on public.tuning_files",
      "repaired: trigger telegram_record_file_change on public.tuning_files",
      "repaired: trigger telegram_record_order_change on public.orders",
      "repaired: trigger telegram_record_payment_received on public.payments",
      "repaired: trigger telegram_audit_link on public.users",
    ])
      expect(output).toContain(line);
    expect(await ours(db.sql)).toEqual(before);
    await uploadReachesTelegram(7_306_918_001);

    // Nothing missing: the second run restores nothing.
    const again = await npmRunMigrate({ DATABASE_URL: db.url });
    expect(again.code).toBe(0);
    expect(again.output).not.toContain("repaired:");
  });

  it("after prisma db push --force-reset (the website's tables made anew, without our columns): columns, constraint, indexes, triggers back", async () => {
    const before = await ours(db.sql);
    await db.sql.unsafe("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
    await loadWebsiteSchema(db.url);

    const { code, output } = await npmRunMigrate({ DATABASE_URL: db.url });
    expect(code, output).toBe(0);
    expect(output).toContain("repaired: column telegramChatId on public.users");
    expect(output).toContain("repaired: constraint users_telegramChatId_key on public.users");
    expect(await ours(db.sql)).toEqual(before);
    await uploadReachesTelegram(7_306_918_002);
    const [{ linked }] = await db.sql<[{ linked: number }]>`
      SELECT count(*)::int AS linked FROM telegram.linked_customers`;
    expect(linked).toBe(1);
  });
});

describe("a missing trigger is reported, with the command that restores it", () => {
  it("by the service at start (an error log line), the telegram_triggers_missing gauge and the self-test", async () => {
    await db.sql`DROP TRIGGER telegram_record_order_change ON orders`;
    const lines: Array<{ level: number; msg: string }> = [];
    const logger = createLogger("info", {
      pretty: false,
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    });
    await ensureMigrated({ url: db.url, embedded: false }, logger);
    const errors = lines.filter((l) => l.level >= 50).map((l) => l.msg);
    expect(errors).toEqual([
      "missing in the website's tables: trigger telegram_record_order_change on public.orders; run `npm run migrate` with the same DATABASE_URL to restore them",
    ]);

    const metrics = await createMetrics(db.sql).registry.metrics();
    expect(metrics).toContain("telegram_triggers_missing 1");

    const report: string[] = [];
    const code = await selfTest(
      {
        DATABASE_URL: db.url,
        TELEGRAM_CUSTOMER_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.url,
        TELEGRAM_CHAT_ID_KEY: randomBytes(32).toString("base64"),
        LINK_VERIFICATION: "none",
      },
      (line) => report.push(line),
    );
    expect(code).toBe(1);
    expect(report).toContain(
      "❌ missing in the website's tables: trigger telegram_record_order_change on public.orders; run `npm run migrate` with the same DATABASE_URL to restore them",
    );

    await runMigrations(db.url);
    expect(await createMetrics(db.sql).registry.metrics()).toContain("telegram_triggers_missing 0");
  });
});

describe("npm run migrate names its target and refuses the embedded database unless asked", () => {
  it("without DATABASE_URL: exit 1, says what to set, migrates nothing", async () => {
    const { code, output } = await npmRunMigrate({});
    expect(code).toBe(1);
    expect(output).toContain("DATABASE_URL is not set");
    expect(output).toContain("npm run migrate -- --embedded");
    expect(output).not.toContain("embedded PostgreSQL in .data (");
  });

  it("--embedded with DATABASE_URL set: exit 1, names the conflict, touches nothing", async () => {
    const { code, output } = await npmRunMigrate({ DATABASE_URL: db.url }, ["--embedded"]);
    expect(code).toBe(1);
    expect(output).toContain("but DATABASE_URL is set");
    expect(output).not.toContain("migrating");
  });
});
