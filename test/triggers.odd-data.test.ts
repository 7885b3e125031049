import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cuid, website } from "./support/website.ts";

let db: TestDatabase;
let site: ReturnType<typeof website>;

beforeAll(async () => {
  db = await createTestDatabase();
  site = website(db.sql);
});
afterAll(() => db.drop());

describe("the website's writes with odd data still succeed", () => {
  it("a 1,000-character filename with <, &, quotes and Arabic is stored and copied unchanged", async () => {
    const userId = await site.createUser({ chatId: "123" });
    const name = `<b>x</b> & "y" 'z' دليل الضبط ${"ملف_<&>".repeat(200)}`.slice(0, 1000);
    expect(name.length).toBe(1000);
    const fileId = await site.uploadFile(userId, name);
    await site.changeFileStatus(fileId, "PENDING", 15);
    await db.sql`SELECT telegram.ingest_events()`;
    const rows =
      await db.sql`SELECT kind, label FROM telegram.outbox WHERE subject_id = ${fileId} ORDER BY id`;
    expect(rows.map((r) => r.kind)).toEqual(["file_uploaded", "file_status"]);
    expect(rows.every((r) => r.label === name)).toBe(true);
  });

  it("NULLs everywhere they are allowed: every optional column NULL, and set back to NULL", async () => {
    const userId = cuid();
    await db.sql`INSERT INTO users (id, email, "firstName", "lastName", "updatedAt") VALUES (${userId}, ${`${userId}@x`}, '', '', now())`;
    const fileId = cuid();
    await db.sql`
      INSERT INTO tuning_files (id, "userId", "originalFilename", "r2Key", "fileSize", "fileType", "updatedAt",
                                "updatedDate", "customerComment", "adminNotes", "estimatedProcessingTime",
                                "estimatedProcessingTimeSetAt", "modifiedFilename", "modifiedR2Key",
                                "modifiedFileType", "modifiedFileSize", "modifiedUploadDate")
      VALUES (${fileId}, ${userId}, '', ${fileId}, 0, '', now(), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`;
    await db.sql`UPDATE tuning_files SET "adminNotes" = 'x', "estimatedProcessingTime" = 0 WHERE id = ${fileId}`;
    await db.sql`UPDATE tuning_files SET "adminNotes" = NULL, "estimatedProcessingTime" = NULL, "estimatedProcessingTimeSetAt" = NULL WHERE id = ${fileId}`;
    const orderId = cuid();
    await db.sql`
      INSERT INTO orders (id, "orderNumber", "userId", subtotal, total, "shippingMethod", "updatedAt",
                          "trackingNumber", "customerNotes", "adminNotes")
      VALUES (${orderId}, ${orderId}, ${userId}, 0, 0, '', now(), NULL, NULL, NULL)`;
    await db.sql`UPDATE orders SET "trackingNumber" = '', status = 'CONFIRMED' WHERE id = ${orderId}`;
    await db.sql`UPDATE orders SET "trackingNumber" = NULL, "userId" = NULL WHERE id = ${orderId}`;
    await db.sql`SELECT telegram.ingest_events()`;
    const kinds =
      await db.sql`SELECT kind FROM telegram.outbox WHERE user_id = ${userId} ORDER BY id`;
    expect(kinds.map((r) => r.kind)).toEqual(["file_uploaded", "file_eta", "order_status"]);
  });

  it("a customer deleted (cascade) while events are pending: the delete succeeds, the events stay for the notifier to skip", async () => {
    const userId = await site.createUser({ chatId: "4242" });
    const fileId = await site.uploadFile(userId);
    await site.changeFileStatus(fileId, "PENDING");
    const orderId = await site.placeOrder(userId);
    await site.setOrderStatus(orderId, "CONFIRMED");
    await db.sql`DELETE FROM users WHERE id = ${userId}`;
    const [{ files }] = await db.sql<
      [{ files: number }]
    >`SELECT count(*)::int AS files FROM tuning_files WHERE "userId" = ${userId}`;
    expect(files).toBe(0);
    const [order] = await db.sql`SELECT "userId" FROM orders WHERE id = ${orderId}`;
    expect(order?.userId).toBeNull();
    await db.sql`SELECT telegram.ingest_events()`;
    const pending =
      await db.sql`SELECT kind FROM telegram.outbox WHERE user_id = ${userId} AND status = 'pending'`;
    expect(pending).toHaveLength(3);
  });

  it("a payment whose order has no user (guest) or whose order was re-assigned to a guest succeeds and enqueues nothing", async () => {
    const orderId = await site.placeOrder(null);
    const paymentId = await site.createPayment(orderId, "SUCCEEDED");
    await site.setPaymentStatus(paymentId, "REFUNDED");
    const rows = await db.sql`SELECT 1 FROM telegram.recorded_events WHERE subject_id = ${orderId}`;
    expect(rows).toHaveLength(0);
  });
});
