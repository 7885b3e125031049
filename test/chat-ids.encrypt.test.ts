import { createHash, randomBytes } from "node:crypto";
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
    // Rekeyed: the fingerprints of the three plaintext values the trigger saw.
    expect(report).toEqual({ encrypted: 2, invalid: [garbage], rekeyed: 3 });

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
      rekeyed: 0,
    });
  });
});

describe("unkeyed chat fingerprints (of before 000013, or of plaintext ids)", () => {
  it("are rewritten keyed by the script: a current chat's to its own keyed fingerprint, a gone chat's to an HMAC of the old one", async () => {
    const site = website(db.sql);
    const [{ salt }] = await db.sql<[{ salt: string }]>`SELECT salt FROM telegram.audit_salt`;
    const unkeyed = (stored: string) =>
      createHash("sha256")
        .update(salt + stored)
        .digest("hex")
        .slice(0, 16);

    // The trigger fingerprints plaintext ids the unkeyed way (the database has no key).
    const plain = await site.createUser({ chatId: "4440001" });
    const gone = await site.createUser({ chatId: "4440002" });
    await db.sql`UPDATE users SET "telegramChatId" = NULL WHERE id = ${gone}`;
    // Rows the bot wrote before 000013: the unkeyed fingerprint of an encrypted id.
    const modern = await site.createUser({ chatId: cipher.encrypt(4440003) });
    const before = unkeyed(cipher.encrypt(4440003));
    await db.sql`INSERT INTO telegram.link_codes (chat_fingerprint, email, code_hash, expires_at)
                 VALUES (${before}, 'x@example.com', '\\x00', now())`;
    await db.sql`INSERT INTO telegram.chat_activity (day, chat_fingerprint, linked, updates)
                 VALUES ('2026-01-01', ${before}, true, 2), ('2026-01-01', ${unkeyed("4440003")}, false, 3)`;
    await db.sql`INSERT INTO telegram.link_audit (user_id, action, actor, new_chat_fingerprint)
                 VALUES (${modern}, 'link', 'bot', ${before})`;

    const audit = async (userId: string) =>
      db.sql<{ old: string | null; new: string | null }[]>`
        SELECT old_chat_fingerprint AS old, new_chat_fingerprint AS new
          FROM telegram.link_audit WHERE user_id = ${userId} ORDER BY id`;
    const goneBefore = await audit(gone);
    expect(goneBefore).toEqual([
      { old: null, new: unkeyed("4440002") },
      { old: unkeyed("4440002"), new: null },
    ]);

    const report = await encryptPlaintextChatIds(db.sql, cipher);
    expect(report.rekeyed).toBeGreaterThan(0);

    const stillUnkeyed = await db.sql`
      SELECT fp FROM (SELECT old_chat_fingerprint AS fp FROM telegram.link_audit
                      UNION ALL SELECT new_chat_fingerprint FROM telegram.link_audit
                      UNION ALL SELECT chat_fingerprint FROM telegram.link_codes
                      UNION ALL SELECT chat_fingerprint FROM telegram.chat_activity) f
       WHERE length(fp) = 16`;
    expect(stillUnkeyed).toEqual([]);
    expect((await audit(plain)).map((r) => r.new)).toEqual([
      cipher.fingerprint(4440001),
      cipher.fingerprint(4440001),
    ]);
    const rekeyed = cipher.rekeyFingerprint(unkeyed("4440002"));
    expect(await audit(gone)).toEqual([
      { old: null, new: rekeyed },
      { old: rekeyed, new: null },
    ]);
    expect(rekeyed).not.toContain(unkeyed("4440002"));
    expect((await audit(modern)).map((r) => r.new)).toEqual([
      cipher.fingerprint(4440003),
      cipher.fingerprint(4440003),
    ]);
    const [code] =
      await db.sql`SELECT chat_fingerprint AS fp FROM telegram.link_codes WHERE email = 'x@example.com'`;
    expect(code?.fp).toBe(cipher.fingerprint(4440003));
    expect(
      await db.sql`SELECT chat_fingerprint AS fp, linked, updates FROM telegram.chat_activity WHERE day = '2026-01-01'`,
    ).toEqual([{ fp: cipher.fingerprint(4440003), linked: true, updates: 5 }]);

    expect((await encryptPlaintextChatIds(db.sql, cipher)).rekeyed).toBe(0);
  });
});
