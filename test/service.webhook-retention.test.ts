import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { freePort } from "../src/db/embedded.ts";
import { createLogger } from "../src/log.ts";
import { pruneOnce } from "../src/retention.ts";
import { type Service, startService } from "../src/service.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

let db: TestDatabase;
let telegram: BotApiDouble;
let service: Service;
let base: string;
const SECRET = "hook-secret_0123456789";

beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start({ token: "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
  const port = await freePort();
  service = await startService({
    signals: false,
    logger: createLogger("silent"),
    env: {
      DATABASE_URL: db.url,
      TELEGRAM_CUSTOMER_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.url,
      TELEGRAM_CHAT_ID_KEY: randomBytes(32).toString("base64"),
      TELEGRAM_MODE: "webhook",
      TELEGRAM_WEBHOOK_URL: "https://bot.compucar.pro/tg/hook",
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      LINK_VERIFICATION: "none",
      PORT: String(port),
    },
  });
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await service.stop();
  await telegram.close();
  await db.drop();
});

const update = (id: number, chat: number, text: string) =>
  JSON.stringify({
    update_id: id,
    message: {
      message_id: id,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chat, type: "private", first_name: "K" },
      from: { id: chat, is_bot: false, first_name: "K" },
      text,
      entities: [{ type: "bot_command", offset: 0, length: text.length }],
    },
  });

describe("the service in webhook mode", () => {
  it("takes updates on the webhook path with the secret: answered once even when Telegram replays them; a wrong secret is refused", async () => {
    const post = (body: string, secret?: string) =>
      fetch(`${base}/tg/hook`, {
        method: "POST",
        body,
        headers: {
          "content-type": "application/json",
          ...(secret ? { "x-telegram-bot-api-secret-token": secret } : {}),
        },
      });
    expect((await post(update(1, 4001, "/help"), "wrong")).status).toBe(401);
    expect((await post(update(2, 4001, "/help"), SECRET)).status).toBe(200);
    expect((await post(update(2, 4001, "/help"), SECRET)).status).toBe(200);
    await telegram.waitForMessages(1, { chatId: 4001 });
    await new Promise((r) => setTimeout(r, 300));
    expect(telegram.sent(4001)).toHaveLength(1);
    expect(telegram.sent(4001)[0]?.text).toContain("What I can do");
    const health = await fetch(`${base}/healthz`);
    expect(await health.json()).toMatchObject({ status: "ok", database: "ok", bot: "ok" });
  });
});

describe("retention", () => {
  it("deletes finished outbox rows older than the retention, in batches, and keeps pending and recent ones", async () => {
    // A database of its own: the running service's notifier would settle the pending row.
    const db = await createTestDatabase();
    await db.sql`
      INSERT INTO telegram.outbox (user_id, kind, subject_id, status, created_at)
      SELECT 'u', 'file_status', 'old-' || g, 'sent', now() - interval '40 days' FROM generate_series(1, 5) g`;
    await db.sql`
      INSERT INTO telegram.outbox (user_id, kind, subject_id, status, created_at)
      VALUES ('u', 'file_status', 'old-pending', 'pending', now() - interval '40 days'),
             ('u', 'file_status', 'recent', 'sent', now() - interval '1 day')`;
    await db.sql`INSERT INTO telegram.webhook_updates (update_id, received_at) VALUES (99, now() - interval '3 days')`;
    const pruned = await pruneOnce(db.sql, { retentionDays: 30, batchSize: 2, pauseMs: 0 });
    expect(pruned.outbox).toBe(5);
    expect(pruned.webhookUpdates).toBe(1);
    const left =
      await db.sql`SELECT subject_id FROM telegram.outbox WHERE user_id = 'u' ORDER BY subject_id`;
    expect(left.map((r) => r.subject_id)).toEqual(["old-pending", "recent"]);
    await db.drop();
  });
});
