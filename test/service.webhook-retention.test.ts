import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatIdCipher } from "../src/chat-id.ts";
import { freePort } from "../src/db/embedded.ts";
import { createLogger } from "../src/log.ts";
import { pruneOnce } from "../src/retention.ts";
import { type Service, startService } from "../src/service.ts";
import { createTestDatabase } from "./support/database.ts";
import {
  postToWebhook,
  serviceEnv,
  serviceFixtures,
  WEBHOOK_SECRET,
  webhookUpdate,
} from "./support/service-process.ts";
import { until } from "./support/wait.ts";
import { website } from "./support/website.ts";

const fixtures = serviceFixtures();
let service: Service;
let base: string;
let port: number;
let cipher: ChatIdCipher;

beforeAll(async () => {
  port = await freePort();
  const env = serviceEnv(fixtures.db, fixtures.telegram, "webhook");
  cipher = ChatIdCipher.fromBase64(env.TELEGRAM_CHAT_ID_KEY ?? "");
  service = await startService({
    signals: false,
    logger: createLogger("silent"),
    env: { ...env, PORT: String(port) },
  });
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await service?.stop();
});

describe("the service in webhook mode", () => {
  it("takes updates on the webhook path with the secret: answered once even when Telegram replays them; a wrong secret is refused", async () => {
    const post = (body: string, secret?: string) => postToWebhook(port, body, secret);
    const update = webhookUpdate;
    const { db, telegram } = fixtures;
    expect((await post(update(1, 4001, "/help"), "wrong")).status).toBe(401);
    expect((await post(update(2, 4001, "/help"), WEBHOOK_SECRET)).status).toBe(200);
    expect((await post(update(2, 4001, "/help"), WEBHOOK_SECRET)).status).toBe(200);
    // One chat's updates are handled in order: once update 3 is answered, a replayed
    // update 2 would have been answered before it.
    expect((await post(update(3, 4001, "/nonsense"), WEBHOOK_SECRET)).status).toBe(200);
    await telegram.waitFor(() =>
      telegram.sent(4001).some((m) => m.text.includes("did not understand")),
    );
    expect(telegram.sent(4001).map((m) => m.text.split("\n")[0])).toEqual([
      expect.stringContaining("What I can do"),
      expect.stringContaining("did not understand"),
    ]);
    expect(
      (await db.sql`SELECT update_id FROM telegram.webhook_updates ORDER BY 1`).map((r) =>
        Number(r.update_id),
      ),
    ).toEqual([2, 3]);
    const health = await fetch(`${base}/healthz`);
    expect(await health.json()).toMatchObject({ status: "ok", database: "ok", bot: "ok" });
  });
});

describe("/metrics of the running service", () => {
  it("counts the updates, commands and messages the service handled", async () => {
    const { db, telegram } = fixtures;
    const scrape = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return (series: string) =>
        Number(
          text
            .split("\n")
            .find((line) => line.startsWith(`${series} `))
            ?.slice(series.length + 1) ?? 0,
        );
    };
    const was = await scrape();
    const shop = website(db.sql);
    const linked = await shop.createUser({ chatId: cipher.encrypt(4301) });
    const gone = await shop.createUser({ chatId: cipher.encrypt(4302) });
    const unlinked = await shop.createUser();
    telegram.failChat(4302, { kind: "chatNotFound" });
    for (const user of [linked, gone, unlinked]) await shop.uploadFile(user);
    // A command, a text the bot does not know, and a replay of the command.
    await postToWebhook(port, webhookUpdate(20, 4303, "/help"), WEBHOOK_SECRET);
    await postToWebhook(port, webhookUpdate(20, 4303, "/help"), WEBHOOK_SECRET);
    await postToWebhook(port, webhookUpdate(21, 4303, "/nonsense"), WEBHOOK_SECRET);
    await telegram.waitForMessages(2, { chatId: 4303 });
    const settled = [
      'telegram_messages_sent_total{kind="file_uploaded"}',
      'telegram_messages_failed_total{kind="file_uploaded",reason="chat_not_found"}',
      'telegram_messages_skipped_total{kind="file_uploaded",reason="not_linked"}',
    ];
    // The three events counted, whichever way (a wrong count fails below).
    const counted = await until(
      async () => {
        const now = await scrape();
        return settled.reduce((n, series) => n + now(series) - was(series), 0) >= 3 && now;
      },
      { what: "three events counted" },
    );
    const delta = (series: string) => counted(series) - was(series);
    expect({
      updates: delta('telegram_bot_updates_total{type="message"}'),
      help: delta('telegram_bot_commands_total{command="help"}'),
      other: delta('telegram_bot_commands_total{command="other"}'),
      sent: delta('telegram_messages_sent_total{kind="file_uploaded"}'),
      latencies: delta('telegram_delivery_latency_seconds_count{kind="file_uploaded"}'),
      failed: delta('telegram_messages_failed_total{kind="file_uploaded",reason="chat_not_found"}'),
      skipped: delta('telegram_messages_skipped_total{kind="file_uploaded",reason="not_linked"}'),
      linked: delta("telegram_linked_customers"),
    }).toEqual({
      updates: 2,
      help: 1,
      other: 1,
      sent: 1,
      latencies: 1,
      failed: 1,
      skipped: 1,
      linked: 2,
    });
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
