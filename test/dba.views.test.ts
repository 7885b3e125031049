import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher } from "./support/notifier-harness.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe("the DBA views (telegram.*)", () => {
  it("show linked customers, deliveries, commands and engagement, and never a chat id, plaintext or encrypted", async () => {
    const site = website(db.sql);
    const chats = [7_306_918_452, 7_306_918_453, 5_550_424_242];
    const stored = [cipher.encrypt(chats[0] ?? 0), cipher.encrypt(chats[1] ?? 0), String(chats[2])];
    const users: string[] = [];
    for (const chatId of stored)
      users.push(await site.createUser({ chatId, telegramUsername: "karim" }));
    const [a, b] = users;
    await db.sql`
      INSERT INTO telegram.chat_prefs (user_id, muted_kinds, blocked_at) VALUES (${a ?? ""}, '{orders}', now())`;
    await db.sql`
      INSERT INTO telegram.outbox (user_id, kind, subject_id, status, sent_at, last_error)
      VALUES (${a ?? ""}, 'file_status', 'f1', 'sent', now(), NULL),
             (${b ?? ""}, 'order_status', 'o1', 'failed', NULL, 'Bad Request: chat not found'),
             (${b ?? ""}, 'file_uploaded', 'f2', 'pending', NULL, NULL)`;
    // Recorded by the website's trigger, not yet picked up: what telegram.recorded_events shows.
    await site.uploadFile(a ?? "", "golf.bin");
    await db.sql`INSERT INTO telegram.command_usage (day, command, uses) VALUES (current_date, 'files', 3)`;
    for (const s of stored)
      await db.sql`
        INSERT INTO telegram.chat_activity (day, chat_fingerprint, linked, updates)
        VALUES (current_date, telegram.chat_fingerprint(${s}), true, 2)`;

    const views = await db.sql<Array<{ name: string }>>`
      SELECT table_name AS name FROM information_schema.views WHERE table_schema = 'telegram'
      UNION ALL
      SELECT matviewname FROM pg_matviews WHERE schemaname = 'telegram'
      ORDER BY 1`;
    const names = views.map((v) => v.name);
    expect(names).toEqual(
      expect.arrayContaining(["command_stats", "delivery_stats", "engagement", "linked_customers"]),
    );
    const secrets = [...chats.map(String), ...stored, ...stored.map((s) => s.replace(/^tg1:/, ""))];
    for (const name of names) {
      const rows = await db.sql<Array<{ j: string }>>`
        SELECT row_to_json(v)::text AS j FROM ${db.sql("telegram")}.${db.sql(name)} v`;
      expect(rows.length, `rows in telegram.${name}`).toBeGreaterThan(0);
      for (const { j } of rows)
        for (const secret of secrets) expect(j, `telegram.${name}`).not.toContain(secret);
    }
    const linked = await db.sql`
      SELECT user_id, telegram_username, muted_kinds, blocked_at IS NOT NULL AS blocked, chat_id_plaintext
        FROM telegram.linked_customers ORDER BY chat_id_plaintext, blocked DESC`;
    expect(linked).toEqual([
      {
        user_id: a,
        telegram_username: "karim",
        muted_kinds: ["orders"],
        blocked: true,
        chat_id_plaintext: false,
      },
      {
        user_id: b,
        telegram_username: "karim",
        muted_kinds: [],
        blocked: false,
        chat_id_plaintext: false,
      },
      {
        user_id: users[2],
        telegram_username: "karim",
        muted_kinds: [],
        blocked: false,
        chat_id_plaintext: true,
      },
    ]);
  });
});
