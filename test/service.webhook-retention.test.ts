import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

const fixtures = serviceFixtures();
let service: Service;
let base: string;
let port: number;

beforeAll(async () => {
  port = await freePort();
  service = await startService({
    signals: false,
    logger: createLogger("silent"),
    env: { ...serviceEnv(fixtures.db, fixtures.telegram, "webhook"), PORT: String(port) },
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
