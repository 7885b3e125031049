import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { selfTest } from "../src/ops/self-test.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { runScript } from "./support/script-process.ts";
import { serviceEnv } from "./support/service-process.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
let telegram: BotApiDouble;
const SECRET = "webhook_secret_for_tests_123";

beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start({
    token: "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    botUsername: "CompuCarBot",
  });
});
afterAll(async () => {
  await telegram.close();
  await db.drop();
});

/** Runs a script as an operator would, with the service's environment; never throws. */
function script(args: string[], extra: Record<string, string> = {}) {
  return runScript(args, { ...serviceEnv(db, telegram), ...extra });
}

describe("scripts/link-token.ts", () => {
  it("prints a single-use t.me link for the customer's email (any case); only its hash is stored, valid 15 minutes", async () => {
    const userId = await website(db.sql).createUser({ email: "Amina@Example.com" });
    const { code, out } = await script(["scripts/link-token.ts", "amina@example.COM"]);
    expect(code).toBe(0);
    const lines = out.trimEnd().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(/^https:\/\/t\.me\/CompuCarBot\?start=[A-Za-z0-9_-]{43}$/),
      expect.stringMatching(/^single use, valid until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    ]);
    const token = lines[0]?.slice("https://t.me/CompuCarBot?start=".length) ?? "";
    const hash = createHash("sha256").update(token).digest();
    const rows =
      await db.sql`SELECT user_id, expires_at > now() + interval '14 minutes' AS fresh FROM telegram.link_tokens WHERE token_hash = ${hash}`;
    expect(rows).toEqual([{ user_id: userId, fresh: true }]);
  });

  it("--dry-run: finds the account and the bot, makes no token", async () => {
    const userId = await website(db.sql).createUser({ email: "karim@example.com" });
    const tokens = async () =>
      (await db.sql`SELECT count(*)::int AS n FROM telegram.link_tokens`)[0]?.n;
    const before = await tokens();
    const { code, stdout } = await script([
      "scripts/link-token.ts",
      "--dry-run",
      "Karim@example.com",
    ]);
    expect(stdout).toBe(
      `dry run: Karim@example.com is account ${userId}; the link would be https://t.me/CompuCarBot?start=<token>; none was made\n`,
    );
    expect(code).toBe(0);
    expect(await tokens()).toBe(before);
  });

  it("an unknown email: exit 1 and says so", async () => {
    const { code, out } = await script(["scripts/link-token.ts", "nobody@example.com"]);
    expect(code).toBe(1);
    expect(out).toContain("no account with that email");
  });
});

describe("scripts/setup-customer-bot-webhook.ts", () => {
  const webhookEnv = {
    TELEGRAM_MODE: "webhook",
    TELEGRAM_WEBHOOK_URL: "https://bot.compucar.pro/telegram/webhook",
    TELEGRAM_WEBHOOK_SECRET: SECRET,
  };

  it("sets the webhook with its secret and allowed updates, prints Telegram's report without the secret; --delete removes it", async () => {
    const set = await script(["scripts/setup-customer-bot-webhook.ts"], webhookEnv);
    expect(set.code).toBe(0);
    expect(set.out).toContain("✅ webhook set to https://bot.compucar.pro/telegram/webhook");
    expect(set.out).toContain("allowed updates: message, callback_query, my_chat_member");
    expect(set.out).not.toContain(SECRET);
    const call = telegram.requests.find((r) => r.method === "setWebhook");
    expect(call?.body).toMatchObject({
      url: "https://bot.compucar.pro/telegram/webhook",
      secret_token: SECRET,
    });
    const removed = await script(["scripts/setup-customer-bot-webhook.ts", "--delete"]);
    expect(removed.code).toBe(0);
    expect(removed.out).toContain("url: (none: long polling)");
  });

  it("a token Telegram refuses: exit 1 with the fix", async () => {
    telegram.failNext(1, { kind: "unauthorized" }, { method: "setWebhook" });
    const { code, out } = await script(["scripts/setup-customer-bot-webhook.ts"], webhookEnv);
    expect(code).toBe(1);
    expect(out).toContain(
      "TELEGRAM_CUSTOMER_BOT_TOKEN was refused by Telegram (401): copy it again from @BotFather",
    );
  });
});

describe("scripts/test-customer-bot.ts (self-test)", () => {
  const envFor = (url: string, extra: Record<string, string> = {}) => ({
    DATABASE_URL: url,
    TELEGRAM_CUSTOMER_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.url,
    TELEGRAM_CHAT_ID_KEY: randomBytes(32).toString("base64"),
    LINK_VERIFICATION: "none",
    ...extra,
  });
  const check = async (env: Record<string, string>) => {
    const lines: string[] = [];
    const code = await selfTest(env, (line) => lines.push(line));
    return { code, text: lines.join("\n") };
  };

  it("all green on a migrated database: one ✅ line per check, exit 0 (also as a process)", async () => {
    const { code, text } = await check(envFor(db.url));
    expect(text).toContain("✅ token accepted by Telegram: @CompuCarBot");
    expect(text).toContain("✅ migrations applied");
    expect(text).toContain("✅ 8 triggers present and enabled on the website's tables");
    expect(text).toMatch(/✅ backlog: \d+ waiting/);
    expect(code).toBe(0);
    expect((await script(["scripts/test-customer-bot.ts"])).code).toBe(0);
  });

  it("each problem gets its ❌ line with the fix, and exit 1", async () => {
    const empty = await createTestDatabase({ empty: true });
    try {
      const pending = await check(envFor(empty.url));
      expect(pending.text).toContain("migration(s) not applied");
      expect(pending.text).toContain("run npm run migrate");
      expect(pending.code).toBe(1);
    } finally {
      await empty.drop();
    }

    await db.sql`ALTER TABLE tuning_files DISABLE TRIGGER telegram_record_file_change`;
    const disabled = await check(envFor(db.url));
    await db.sql`ALTER TABLE tuning_files ENABLE TRIGGER telegram_record_file_change`;
    expect(disabled.text).toContain("❌ triggers disabled: telegram_record_file_change");

    await db.sql`INSERT INTO telegram.events (recorded_at, source, user_id, subject_id) VALUES (now() - interval '1 hour', 'file_insert', 'u', 'f')`;
    const stale = await check(envFor(db.url));
    await db.sql`DELETE FROM telegram.events`;
    expect(stale.text).toContain("is the notifier running?");

    await website(db.sql).createUser({ chatId: "4242" });
    expect((await check(envFor(db.url))).text).toContain(
      "stored in plaintext: run npx tsx scripts/encrypt-chat-ids.ts",
    );

    const api = await fetch(`${telegram.url}/bot${telegram.token}/setWebhook`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: "https://old.example.com/hook" }),
    });
    expect(api.status).toBe(200);
    const polling = await check(envFor(db.url));
    await fetch(`${telegram.url}/bot${telegram.token}/deleteWebhook`, { method: "POST" });
    expect(polling.text).toContain(
      "❌ Telegram's webhook points at https://old.example.com/hook, not at this service, which polls (TELEGRAM_MODE=polling):",
    );
    expect(polling.code).toBe(1);

    telegram.failNext(1, { kind: "unauthorized" }, { method: "getMe" });
    expect((await check(envFor(db.url))).text).toContain(
      "❌ TELEGRAM_CUSTOMER_BOT_TOKEN was refused by Telegram (401)",
    );

    const broken = await check(envFor(db.url, { TELEGRAM_MODE: "sometimes" }));
    expect(broken.text).toContain("TELEGRAM_MODE");
    expect(broken.code).toBe(1);
  });
});

describe("scripts/stats.ts", () => {
  it("prints the numbers a shop owner asks for, from the database", async () => {
    const stats = await createTestDatabase();
    try {
      const site = website(stats.sql);
      const linked = await site.createUser({ chatId: "tg1:abc" });
      await site.createUser({ chatId: "12345" });
      await stats.sql`
        INSERT INTO telegram.outbox (user_id, kind, subject_id, status)
        VALUES (${linked}, 'file_status', 'f1', 'sent'), (${linked}, 'file_status', 'f2', 'sent'),
               (${linked}, 'file_status', 'f3', 'sent'), (${linked}, 'order_status', 'o1', 'failed'),
               (${linked}, 'file_uploaded', 'f4', 'pending')`;
      await stats.sql`INSERT INTO telegram.command_usage (day, command, uses) VALUES (current_date, 'files', 7), (current_date, 'start', 3)`;
      await stats.sql`INSERT INTO telegram.chat_activity (day, chat_fingerprint, linked, updates) VALUES (current_date, 'x', true, 10)`;
      const { code, out } = await script(["scripts/stats.ts"], { DATABASE_URL: stats.url });
      expect(code).toBe(0);
      expect(out).toContain(
        "Linked customers: 2 (2 in the last 7 days, 2 in 30; 0 blocked the bot; 1 plaintext chat ids)",
      );
      expect(out).toContain("Delivery, last 24 h: 75 % success (3 sent, 1 failed, 0 skipped)");
      expect(out).toContain("Backlog: 1 waiting");
      expect(out).toContain("Most used commands (30 days): files 7, start 3");
      expect(out).toMatch(/Active chats \(7 days\): \d{4}-\d\d-\d\d 1 \(1 linked\)/);
      const json = JSON.parse(
        (await script(["scripts/stats.ts", "--json"], { DATABASE_URL: stats.url })).out,
      );
      expect(json.delivery.last24h.successRatePct).toBe(75);
    } finally {
      await stats.drop();
    }
  });
});
