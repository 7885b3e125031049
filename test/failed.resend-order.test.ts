import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { visible } from "./support/chat.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher, claimedTwiceAfter, startNotifier } from "./support/notifier-harness.ts";
import { runScript } from "./support/script-process.ts";
import { until } from "./support/wait.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
let telegram: BotApiDouble;
beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start();
});
afterAll(async () => {
  await telegram.close();
  await db.drop();
});

/** What the customer of `chat` read, in the order Telegram received it. */
function read(chat: number): string[] {
  return telegram.sent(chat).map((m) => {
    const text = visible(m.text);
    return text.includes("📥 File received")
      ? "file received"
      : (/step \d+/.exec(text)?.[0] ?? text);
  });
}

/** The outbox row's status, attempts and error. */
async function outboxRow(id: string) {
  const [row] = await db.sql<[{ status: string; attempts: number; last_error: string | null }?]>`
    SELECT status, attempts, last_error FROM telegram.outbox WHERE id = ${id}`;
  return row;
}

describe("a resent notification and the customer's newer ones", () => {
  it("the resent older message reaches the customer before their newer pending ones, through a running notifier", async () => {
    const site = website(db.sql);
    const karimChat = 62_001;
    const aminaChat = 62_002;
    const karim = await site.createUser({
      email: "karim@example.com",
      chatId: cipher.encrypt(karimChat),
    });
    const amina = await site.createUser({ chatId: cipher.encrypt(aminaChat) });
    // One row of a customer per claim: the claim itself must pick his oldest first.
    const { notifier } = startNotifier(db, telegram, { perCustomer: 1 });
    await notifier.start();
    try {
      // Telegram says Karim's chat is not found: his upload notice fails for good.
      telegram.failNext(1, { kind: "chatNotFound" }, { chatId: karimChat });
      const karimFile = await site.uploadFile(karim, "stage1_golf_tdi.bin");
      const failed = await until(async () => {
        const [row] = await db.sql<[{ id: string; last_error: string }?]>`
          SELECT id::text, last_error FROM telegram.outbox WHERE status = 'failed'`;
        return row;
      });
      expect(failed.last_error).toBe("Bad Request: chat not found");

      // Then Telegram fails for his chat for a while (502): his newer events wait, retried
      // later, while another customer's go out.
      telegram.failChat(karimChat, { kind: "badGateway" });
      const aminaFile = await site.uploadFile(amina, "remap.bin");
      await site.commentOnFile(karimFile, "step 1");
      await site.commentOnFile(aminaFile, "step 1");
      await site.commentOnFile(karimFile, "step 2");
      await telegram.waitForMessages(2, { chatId: aminaChat, timeoutMs: 60_000 });
      const [step1, step2] = await until(async () => {
        const rows = await db.sql<Array<{ id: string; attempts: number }>>`
          SELECT id::text, attempts FROM telegram.outbox
           WHERE user_id = ${karim} AND status = 'pending' ORDER BY id`;
        return rows.length === 2 && (rows[0]?.attempts ?? 0) > 0 && rows;
      });

      const dry = await runScript(
        ["scripts/failed.ts", "resend", "--customer", "KARIM@example.com", "--dry-run"],
        { DATABASE_URL: db.url },
      );
      expect(dry.stdout).toContain(
        "dry run: 1 failed notification would be resent; nothing changed",
      );
      expect(await outboxRow(failed.id)).toMatchObject({ status: "failed" });
      const resent = await runScript(
        ["scripts/failed.ts", "resend", "--customer", "KARIM@example.com"],
        { DATABASE_URL: db.url },
      );
      expect(resent.code).toBe(0);
      expect(resent.stdout).toContain(`#${failed.id}`);
      // A send of "step 1" already in flight when the resend committed has come back
      // (502) before Telegram recovers: from here on, only the claim decides the order.
      await claimedTwiceAfter(notifier, Date.now());
      telegram.clearFaults();

      await telegram.waitForMessages(3, { chatId: karimChat, timeoutMs: 120_000 });
      expect(read(karimChat)).toEqual(["file received", "step 1", "step 2"]);
      expect(read(aminaChat)).toEqual(["file received", "step 1"]);
      for (const id of [failed.id, step1?.id ?? "", step2?.id ?? ""])
        expect(
          await until(() => outboxRow(id).then((r) => r?.status === "sent" && r)),
        ).toMatchObject({
          status: "sent",
          last_error: null,
        });
    } finally {
      await notifier.stop();
    }
  }, 240_000);
});
