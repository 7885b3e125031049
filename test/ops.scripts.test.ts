import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "./support/bot-api-double.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { website } from "./support/website.ts";

const run = promisify(execFile);
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
async function script(args: string[], extra: Record<string, string> = {}) {
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    DATABASE_URL: db.url,
    TELEGRAM_CUSTOMER_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.url,
    TELEGRAM_CHAT_ID_KEY: randomBytes(32).toString("base64"),
    LINK_VERIFICATION: "none",
    ...extra,
  };
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", ...args], {
      env,
      cwd: process.cwd(),
    });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe("scripts/link-token.ts", () => {
  it("prints a single-use t.me link for the customer's email (any case); only its hash is stored, valid 15 minutes", async () => {
    const userId = await website(db.sql).createUser({ email: "Amina@Example.com" });
    const { code, out } = await script(["scripts/link-token.ts", "amina@example.COM"]);
    expect(code).toBe(0);
    const token = /^https:\/\/t\.me\/CompuCarBot\?start=([A-Za-z0-9_-]{43})$/m.exec(out)?.[1];
    expect(token).toBeDefined();
    const hash = createHash("sha256")
      .update(token ?? "")
      .digest();
    const rows =
      await db.sql`SELECT user_id, expires_at > now() + interval '14 minutes' AS fresh FROM telegram.link_tokens WHERE token_hash = ${hash}`;
    expect(rows).toEqual([{ user_id: userId, fresh: true }]);
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
