import { describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { visible } from "./support/chat.ts";
import { createTestDatabase } from "./support/database.ts";
import { cipher, startNotifier } from "./support/notifier-harness.ts";
import { until } from "./support/wait.ts";
import { website } from "./support/website.ts";

const READY = "✅ File ready for download";

describe("two changes to one file pending together", () => {
  it("READY and the modified file uploaded make one message; a later change is its own", async () => {
    const db = await createTestDatabase();
    const telegram = await BotApiDouble.start();
    const site = website(db.sql);
    const chat = 7100;
    const texts = async (n: number) =>
      (await telegram.waitForMessages(n, { chatId: chat })).map((m) => visible(m.text));
    /** Runs a notifier until the customer has `n` messages. */
    const deliverUpTo = async (n: number) => {
      const { notifier } = startNotifier(db, telegram);
      await notifier.start();
      try {
        return await texts(n);
      } finally {
        await notifier.stop();
      }
    };
    try {
      const userId = await site.createUser({ chatId: cipher.encrypt(chat) });
      const fileId = await site.uploadFile(userId, "golf.bin");
      await deliverUpTo(1);
      // With no notifier running, both changes wait in the outbox together.
      await site.changeFileStatus(fileId, "READY");
      await site.uploadModifiedFile(fileId);
      const [waiting] = await db.sql`
        SELECT (SELECT count(*) FROM telegram.recorded_events)::int
             + (SELECT count(*) FROM telegram.outbox WHERE status = 'pending')::int AS n`;
      expect(waiting?.n).toBe(2);
      const [, ready] = await deliverUpTo(2);
      expect(ready).toContain(READY);
      expect(ready).toContain("📊 Status: READY");

      // Minutes later, a comment, then another modified file: each its own message, and
      // the comment comes right after the one "ready": no second one was sent before it.
      const { notifier } = startNotifier(db, telegram);
      await notifier.start();
      try {
        await site.commentOnFile(fileId, "Vmax removed as asked.");
        await texts(3);
        await site.uploadModifiedFile(fileId, "golf_v2.bin");
        const all = await texts(4);
        expect(all.map((t) => t.split("\n")[0])).toEqual([
          "📥 File received",
          READY,
          "💬 New comment from our team",
          READY,
        ]);
      } finally {
        await notifier.stop();
      }
      const rows = await db.sql`
        SELECT status, telegram_message_id FROM telegram.outbox
        WHERE subject_id = ${fileId} AND kind = 'file_status' ORDER BY id`;
      expect(rows.map((r) => r.status)).toEqual(["sent", "sent", "sent"]);
      expect(rows[0]?.telegram_message_id).toBe(rows[1]?.telegram_message_id);
      expect(rows[2]?.telegram_message_id).not.toBe(rows[1]?.telegram_message_id);
    } finally {
      await telegram.close();
      await db.drop();
    }
  });
});

describe("a merged message Telegram refuses for good", () => {
  it("marks every row it stands for failed at once, not only the first", async () => {
    const db = await createTestDatabase();
    const telegram = await BotApiDouble.start();
    const site = website(db.sql);
    const chat = 7150;
    try {
      const userId = await site.createUser({ chatId: cipher.encrypt(chat) });
      const fileId = await site.uploadFile(userId, "polo.bin");
      // With no notifier running, READY and the modified file wait together: one message.
      await site.changeFileStatus(fileId, "READY");
      await site.uploadModifiedFile(fileId);
      telegram.failChat(chat, { kind: "badRequest", description: "message is too long" });
      const { notifier } = startNotifier(db, telegram);
      await notifier.start();
      try {
        const statuses = async () =>
          (
            await db.sql<{ status: string }[]>`
              SELECT status FROM telegram.outbox
               WHERE subject_id = ${fileId} AND kind = 'file_status' ORDER BY id`
          ).map((r) => r.status);
        // The upload's message and the merged one are both refused; once the merged
        // message's first row is settled, the notifier has dealt with that message.
        await until(async () => (await statuses())[0] === "failed", { timeoutMs: 30_000 });
        expect(await statuses()).toEqual(["failed", "failed"]);
        const leased = await db.sql`
          SELECT id FROM telegram.outbox WHERE subject_id = ${fileId} AND locked_until IS NOT NULL`;
        expect(leased).toHaveLength(0);
      } finally {
        await notifier.stop();
      }
    } finally {
      await telegram.close();
      await db.drop();
    }
  });
});
