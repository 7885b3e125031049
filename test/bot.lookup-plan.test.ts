import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatIdCipher } from "../src/chat-id.ts";
import { lookUpChat } from "../src/data/customers.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

/**
 * The chat lookup runs on every update the bot gets. What a DBA sees in
 * pg_prepared_statements of the bot's connection: the statement runs on PostgreSQL's
 * cached (generic) plan, not planned again at each execution. Planned each time (as with
 * `= ANY(array)` and the ORDER BY, and the fingerprint's SQL function parsed with it), it
 * cost ~4 × the server CPU per update (docs/benchmarks.md, "The bot's regression").
 */
let db: TestDatabase;
const chatIds = ChatIdCipher.fromBase64(randomBytes(32).toString("base64"));
const FIRST_CHAT = 7_300_000_000;
const LINKED = 1_000;

beforeAll(async () => {
  db = await createTestDatabase();
  // A shop's table: 10,000 customers, LINKED of them linked, one in four of those as the
  // website stored ids before encryption (plaintext). The plan cache's choice depends on
  // the statistics: with a few hundred rows even the planned-each-time form kept its
  // generic plan.
  const chats = Array.from({ length: LINKED }, (_, i) =>
    i % 4 === 0 ? String(FIRST_CHAT + i) : chatIds.encrypt(FIRST_CHAT + i),
  );
  await db.sql.begin(async (tx) => {
    await tx`SET LOCAL session_replication_role = replica`;
    await tx`
      INSERT INTO users (id, email, "firstName", "lastName", "updatedAt")
      SELECT 'plan-' || g, 'plan' || g || '@example.com', 'Customer' || g, 'Plan', now()
        FROM generate_series(0, 9_999) g`;
    await tx`
      UPDATE users u SET "telegramChatId" = l.chat, "telegramLinkedAt" = now()
        FROM unnest(${chats}::text[]) WITH ORDINALITY AS l(chat, n)
       WHERE u.id = 'plan-' || (l.n - 1)`;
  });
  await db.sql`ANALYZE users`;
});
afterAll(() => db.drop());

describe("the chat lookup on PostgreSQL's plan cache", () => {
  it("100 lookups on one connection: the right answers, the statement on its generic plan after the first five", async () => {
    const conn = await db.sql.reserve();
    try {
      for (let i = 0; i < 100; i++) {
        const n = i % 50 === 49 ? LINKED + i : i; // one in 50 linked to nobody
        const chat = FIRST_CHAT + n;
        const found = await lookUpChat(conn, chatIds, chat);
        expect(found.account?.firstName).toBe(n < LINKED ? `Customer${n}` : undefined);
        expect(found.chatFingerprint).toBe(chatIds.fingerprint(chat));
      }
      const statements = await conn<Array<{ generic: number; custom: number }>>`
        SELECT generic_plans::int AS generic, custom_plans::int AS custom
          FROM pg_prepared_statements WHERE statement LIKE '%LEFT JOIN telegram.chat_prefs%'
                 AND statement NOT LIKE '%pg_prepared_statements%'`;
      expect(statements).toHaveLength(1);
      // PostgreSQL plans the first five executions for their parameters, then keeps the
      // generic plan unless it looks dearer.
      expect(statements[0]).toEqual({ generic: 95, custom: 5 });
    } finally {
      conn.release();
    }
  });
});
