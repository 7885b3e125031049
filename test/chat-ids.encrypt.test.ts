import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatIdCipher } from "../src/chat-id.ts";
import { encryptPlaintextChatIds } from "../src/db/encrypt-chat-ids.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
const cipher = ChatIdCipher.fromBase64(randomBytes(32).toString("base64"));

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe("plaintext chat ids stored by the old website code", () => {
  it("stay reachable, and the script encrypts them in place, once, audited without chat ids", async () => {
    const site = website(db.sql);
    const legacy = await site.createUser({ chatId: "987654321" });
    const group = await site.createUser({ chatId: "-1001234567890" });
    const garbage = await site.createUser({ chatId: "not-a-chat" });
    const modern = await site.createUser({ chatId: cipher.encrypt(555) });

    // Before: the plaintext form is found by the lookup every part of the service uses.
    const [found] =
      await db.sql`SELECT id FROM users WHERE "telegramChatId" = ANY(${cipher.storedForms(987654321)})`;
    expect(found?.id).toBe(legacy);

    const report = await encryptPlaintextChatIds(db.sql, cipher, { batchSize: 1 });
    expect(report).toEqual({ encrypted: 2, invalid: [garbage] });

    const rows = await db.sql<{ id: string; chat: string }[]>`
      SELECT id, "telegramChatId" AS chat FROM users WHERE id IN (${legacy}, ${group}, ${garbage}, ${modern})`;
    const byId = new Map(rows.map((r) => [r.id, r.chat]));
    expect(byId.get(legacy)).toMatch(/^tg1:/);
    expect(cipher.decrypt(byId.get(legacy) ?? "")).toBe("987654321");
    expect(cipher.decrypt(byId.get(group) ?? "")).toBe("-1001234567890");
    expect(byId.get(garbage)).toBe("not-a-chat");
    expect(byId.get(modern)).toBe(cipher.encrypt(555));
    const [again] =
      await db.sql`SELECT id FROM users WHERE "telegramChatId" = ANY(${cipher.storedForms(987654321)})`;
    expect(again?.id).toBe(legacy);

    const audit = await db.sql`
      SELECT user_id, action, actor, detail, row_to_json(a)::text AS j FROM telegram.link_audit a
       WHERE actor = 'encrypt-chat-ids' ORDER BY user_id`;
    expect(audit.map((a) => [a.user_id, a.action, a.detail]).sort()).toEqual(
      [
        [legacy, "relink", "chat id encrypted at rest"],
        [group, "relink", "chat id encrypted at rest"],
      ].sort(),
    );
    for (const a of audit) {
      expect(a.j).not.toContain("987654321");
      expect(a.j).not.toContain("1001234567890");
    }

    expect(await encryptPlaintextChatIds(db.sql, cipher)).toEqual({
      encrypted: 0,
      invalid: [garbage],
    });
  });
});
