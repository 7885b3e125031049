import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { website } from "./support/website.ts";

// A well-run shop's website writes with a role that may only read and write rows of its
// own tables (schema public), while migrations run as the owner. Our triggers must not
// make any of its writes fail, and that role must not reach what is ours.
let db: TestDatabase;
let app: postgres.Sql;
const role = `website_app_${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  db = await createTestDatabase();
  const password = randomBytes(12).toString("hex");
  await db.sql.unsafe(`
    CREATE ROLE ${role} LOGIN PASSWORD '${password}';
    GRANT USAGE ON SCHEMA public TO ${role};
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role};
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${role};`);
  const url = new URL(db.url);
  url.username = role;
  url.password = password;
  app = postgres(url.toString(), { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await app?.end();
  await db?.drop();
  const admin = postgres(inject("testServerUrl"), { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP ROLE IF EXISTS ${role}`).finally(() => admin.end());
});

/** What the owner sees: the messages recorded for `userId`, in order. */
async function recordedKinds(userId: string): Promise<string[]> {
  await db.sql`SELECT telegram.ingest_events()`;
  const rows = await db.sql<Array<{ kind: string }>>`
    SELECT kind FROM telegram.outbox WHERE user_id = ${userId} ORDER BY id`;
  return rows.map((r) => r.kind);
}

describe("a website role with rights on its own tables only", () => {
  it("makes every website write, each one succeeds and the customer's events are recorded", async () => {
    const site = website(app);
    const userId = await site.createUser({ chatId: "tg1:linked-by-the-website" });
    const fileId = await site.uploadFile(userId);
    await site.changeFileStatus(fileId, "PENDING", 45);
    await site.commentOnFile(fileId, "Stage 1 map, DPF untouched");
    await site.markFilePaid(fileId);
    await site.uploadModifiedFile(fileId);
    await site.touchFile(fileId);
    const orderId = await site.placeOrder(userId);
    await site.setOrderStatus(orderId, "CONFIRMED");
    await site.shipOrder(orderId, "YAL-123456");
    await site.setCodStatus(orderId, "DELIVERED");
    await site.createPayment(orderId, "SUCCEEDED");
    const later = await site.createPayment(orderId);
    await site.setPaymentStatus(later, "SUCCEEDED");
    await app`UPDATE users SET "firstName" = 'Karim-Amine', "updatedAt" = now() WHERE id = ${userId}`;
    await app`UPDATE users SET "telegramChatId" = NULL, "telegramLinkedAt" = NULL WHERE id = ${userId}`;

    expect(await recordedKinds(userId)).toEqual([
      "file_uploaded",
      "file_status",
      "file_comment",
      "file_paid",
      "file_status",
      "order_status",
      "order_status",
      "order_shipping",
      "payment_received",
      "payment_received",
    ]);
    // The link and the unlink are audited, by the role that made them.
    const audit = await db.sql<Array<{ action: string; actor: string }>>`
      SELECT action, actor FROM telegram.link_audit WHERE user_id = ${userId} ORDER BY id`;
    expect(audit).toEqual([
      { action: "link", actor: role },
      { action: "unlink", actor: role },
    ]);
    await app`DELETE FROM users WHERE id = ${userId}`;
  });

  it("cannot read telegram.outbox nor call our functions, even when given USAGE on schema telegram", async () => {
    await expect(app`SELECT count(*) FROM telegram.outbox`).rejects.toThrow(
      "permission denied for schema telegram",
    );
    await db.sql.unsafe(`GRANT USAGE ON SCHEMA telegram TO ${role}`);
    await expect(app`SELECT count(*) FROM telegram.outbox`).rejects.toThrow(
      "permission denied for table outbox",
    );
    const userId = await website(db.sql).createUser();
    for (const call of [
      app`SELECT telegram.ingest_events()`,
      app`SELECT telegram.notifier_set_busy(true)`,
      app`SELECT * FROM telegram.claim_batch('intruder', 10, 1, 60, 100)`,
      app`SELECT telegram.create_link_token(${userId})`,
      app`SELECT * FROM telegram.linked_customers_now()`,
    ])
      await expect(call).rejects.toThrow(/permission denied for function/);
    // Every function of ours, as the catalogue says: none may be executed by that role.
    const callable = await db.sql<Array<{ fn: string }>>`
      SELECT p.oid::regprocedure::text AS fn FROM pg_proc p
       WHERE p.pronamespace = 'telegram'::regnamespace
         AND has_function_privilege(${role}, p.oid, 'EXECUTE')`;
    expect(callable).toEqual([]);
  });

  it("granted telegram.create_link_token alone, makes deep links without any right on our tables", async () => {
    const userId = await website(db.sql).createUser();
    await db.sql.unsafe(
      `GRANT USAGE ON SCHEMA telegram TO ${role}; GRANT EXECUTE ON FUNCTION telegram.create_link_token(text) TO ${role}`,
    );
    const [{ token }] = await app<[{ token: string }]>`
      SELECT telegram.create_link_token(${userId}) AS token`;
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const rows = await db.sql`
      SELECT created_by FROM telegram.link_tokens WHERE user_id = ${userId}`;
    expect(rows).toEqual([{ created_by: role }]);
  });
});
