import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
let site: ReturnType<typeof website>;

beforeAll(async () => {
  db = await createTestDatabase();
  site = website(db.sql);
});
afterAll(() => db.drop());

async function auditOf(userId: string) {
  return db.sql`
    SELECT action, actor, old_chat_fingerprint, new_chat_fingerprint, detail
      FROM telegram.link_audit WHERE user_id = ${userId} ORDER BY id`;
}

describe("link audit (trigger on users)", () => {
  it("link / relink / unlink by the app leave one row each with actor = the app's telegram.actor", async () => {
    const userId = await site.createUser();
    const asBot = (chat: string | null) =>
      db.sql.begin(async (tx) => {
        await tx`SELECT set_config('telegram.actor', 'bot', true)`;
        await tx`UPDATE users SET "telegramChatId" = ${chat}, "updatedAt" = now() WHERE id = ${userId}`;
      });
    await asBot("tg1:AAAA");
    await asBot("tg1:BBBB");
    await asBot(null);
    const rows = await auditOf(userId);
    expect(rows.map((r) => [r.action, r.actor])).toEqual([
      ["link", "bot"],
      ["relink", "bot"],
      ["unlink", "bot"],
    ]);
    expect(rows[0]?.new_chat_fingerprint).toBe(rows[1]?.old_chat_fingerprint);
    expect(rows[1]?.new_chat_fingerprint).not.toBe(rows[1]?.old_chat_fingerprint);
  });

  it("a DBA's hand-written UPDATE is audited with the database role as actor; the setting does not leak across transactions", async () => {
    const userId = await site.createUser({ chatId: "5550001" });
    await db.sql`UPDATE users SET "telegramChatId" = NULL WHERE id = ${userId}`;
    const [{ role }] = await db.sql<[{ role: string }]>`SELECT current_user AS role`;
    const rows = await auditOf(userId);
    expect(rows.map((r) => [r.action, r.actor])).toEqual([
      ["link", role],
      ["unlink", role],
    ]);
  });

  it("only a change of telegramChatId is audited (other updates of users are not)", async () => {
    const userId = await site.createUser({ chatId: "5550002" });
    await db.sql`UPDATE users SET "firstName" = 'Amine', "telegramUsername" = 'amine', "updatedAt" = now() WHERE id = ${userId}`;
    await db.sql`UPDATE users SET "telegramChatId" = '5550002' WHERE id = ${userId}`;
    expect((await auditOf(userId)).map((r) => r.action)).toEqual(["link"]);
  });

  it("deleting a linked customer is audited as an unlink", async () => {
    const userId = await site.createUser({ chatId: "5550003" });
    await db.sql`DELETE FROM users WHERE id = ${userId}`;
    expect((await auditOf(userId)).map((r) => [r.action, r.detail])).toEqual([
      ["link", null],
      ["unlink", "user deleted"],
    ]);
  });

  it("no audit row anywhere contains a chat id, plaintext or encrypted", async () => {
    const chats = ["5550001", "5550002", "5550003", "tg1:AAAA", "tg1:BBBB"];
    const rows = await db.sql`SELECT row_to_json(a)::text AS j FROM telegram.link_audit a`;
    expect(rows.length).toBeGreaterThan(5);
    for (const { j } of rows) for (const chat of chats) expect(j).not.toContain(chat);
  });
});
