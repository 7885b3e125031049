import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigrations } from "../src/db/migrations.ts";
import { explainMissing, findMissingObjects } from "../src/db/repair.ts";
import { databaseHealth, schemaHealth } from "../src/health.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { website } from "./support/website.ts";

// The website keeps its own habits: Prisma migrations that change its columns. With our
// migrations applied they must succeed as they do without us.
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

/** What a DBA sees: the sources of the events not yet picked up, for `userId`. */
async function recorded(userId: string): Promise<string[]> {
  const rows = await db.sql<Array<{ source: string }>>`
    SELECT source FROM telegram.recorded_events WHERE user_id = ${userId} ORDER BY recorded_at`;
  return rows.map((r) => r.source);
}

describe("the website's own migrations, after ours", () => {
  it("nothing of ours is recorded by PostgreSQL as depending on a website column", async () => {
    const dependents = await db.sql<Array<{ ours: string; column: string }>>`
      SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS ours,
             pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid) AS column
        FROM pg_depend d
       WHERE d.refclassid = 'pg_class'::regclass
         AND d.refobjid IN ('public.users'::regclass, 'public.tuning_files'::regclass,
                            'public.orders'::regclass, 'public.payments'::regclass)
         AND d.refobjsubid > 0
         AND d.classid IN ('pg_rewrite'::regclass, 'pg_trigger'::regclass)`;
    expect(dependents).toEqual([]);
  });

  it('ALTER COLUMN "firstName" and "telegramUsername" TYPE varchar(100) succeed; the DBA list and the notifier\'s claim still show the customer', async () => {
    const site = website(db.sql);
    const userId = await site.createUser({ chatId: "tg1:x", telegramUsername: "karim" });
    await db.sql.begin(async (tx) => {
      await tx`ALTER TABLE "users" ALTER COLUMN "firstName" SET DATA TYPE VARCHAR(100)`;
      await tx`ALTER TABLE "users" ALTER COLUMN "telegramUsername" SET DATA TYPE VARCHAR(100)`;
    });
    const [customer] = await db.sql`
      SELECT first_name, telegram_username FROM telegram.linked_customers WHERE user_id = ${userId}`;
    expect(customer).toEqual({ first_name: "Karim", telegram_username: "karim" });
    // The notifier's claim still hands out the customer's next message, with their name.
    await site.uploadFile(userId, "after_varchar.bin");
    const claimed = await db.sql`
      SELECT label, first_name FROM telegram.claim_batch('test', 10, 1, 60, 1000)
       WHERE skipped_reason IS NULL`;
    expect(claimed).toEqual([{ label: "after_varchar.bin", first_name: "Karim" }]);
  });

  it("Prisma's removal of an enum value on payments.status succeeds; a payment that succeeds is still recorded", async () => {
    // What `prisma migrate dev` generates when a value leaves enum PaymentStatus.
    await db.sql.begin(async (tx) => {
      await tx`CREATE TYPE "PaymentStatus_new" AS ENUM ('PENDING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'REFUNDED')`;
      await tx`ALTER TABLE "payments" ALTER COLUMN "status" DROP DEFAULT`;
      await tx`ALTER TABLE "payments" ALTER COLUMN "status" TYPE "PaymentStatus_new" USING ("status"::text::"PaymentStatus_new")`;
      await tx`ALTER TYPE "PaymentStatus" RENAME TO "PaymentStatus_old"`;
      await tx`ALTER TYPE "PaymentStatus_new" RENAME TO "PaymentStatus"`;
      await tx`DROP TYPE "PaymentStatus_old"`;
      await tx`ALTER TABLE "payments" ALTER COLUMN "status" SET DEFAULT 'PENDING'`;
    });
    const site = website(db.sql);
    const userId = await site.createUser({ chatId: "tg1:y" });
    const orderId = await site.placeOrder(userId);
    await site.createPayment(orderId, "SUCCEEDED");
    const later = await site.createPayment(orderId);
    await site.setPaymentStatus(later, "SUCCEEDED");
    expect(await recorded(userId)).toEqual(["payment", "payment"]);
  });

  it("a website column we read is dropped: the migration and the website's writes succeed; health and the missing-objects check name it", async () => {
    const site = website(db.sql);
    const userId = await site.createUser({ chatId: "tg1:z" });
    const fileId = await site.uploadFile(userId);
    await db.sql`ALTER TABLE "tuning_files" DROP COLUMN "estimatedProcessingTimeSetAt"`;

    // The website's admin changes the status: its write succeeds, nothing is recorded.
    await site.changeFileStatus(fileId, "PENDING");
    const [file] = await db.sql`SELECT status FROM tuning_files WHERE id = ${fileId}`;
    expect(file).toEqual({ status: "PENDING" });
    expect(await recorded(userId)).toEqual(["file_insert"]);

    expect(await findMissingObjects(db.sql)).toEqual([
      {
        kind: "website column",
        name: "estimatedProcessingTimeSetAt",
        onTable: "public.tuning_files",
        problem: "missing",
        repair: [],
      },
    ]);
    // npm run migrate cannot bring back a website column: it says so (and exits 1).
    const { repaired, remaining } = await runMigrations(db.url);
    expect(repaired).toEqual([]);
    expect(explainMissing(remaining)).toContain(
      'the website dropped or renamed column public.tuning_files."estimatedProcessingTimeSetAt"',
    );
    const health = await schemaHealth(db.sql, databaseHealth(db.sql))();
    expect(health).toEqual({
      error: expect.stringContaining(
        'the website dropped or renamed column public.tuning_files."estimatedProcessingTimeSetAt", which the bot reads',
      ),
    });
  });
});
