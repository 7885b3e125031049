import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
let site: ReturnType<typeof website>;
let userId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  site = website(db.sql);
});
afterAll(() => db.drop());

interface OutboxRow {
  user_id: string;
  kind: string;
  subject_id: string;
  label: string | null;
  status_to: string | null;
  eta_minutes: number | null;
  comment: string | null;
  tracking_number: string | null;
  cod_status: string | null;
  paid: boolean | null;
  status: string;
}

/** Runs `action` and returns the outbox rows it added. */
async function eventsOf(action: () => Promise<unknown>): Promise<OutboxRow[]> {
  await db.sql`SELECT telegram.ingest_events()`;
  const [{ max }] = await db.sql<
    [{ max: string }]
  >`SELECT coalesce(max(id), 0) AS max FROM telegram.outbox`;
  await action();
  await db.sql`SELECT telegram.ingest_events()`;
  return db.sql<OutboxRow[]>`
    SELECT user_id, kind, subject_id, label, status_to, eta_minutes, comment, tracking_number,
           cod_status, paid, status
      FROM telegram.outbox WHERE id > ${max} ORDER BY id`;
}

const none = {
  status_to: null,
  eta_minutes: null,
  comment: null,
  tracking_number: null,
  cod_status: null,
  paid: null,
  status: "pending",
};

describe("tuning_files events", () => {
  let fileId: string;
  beforeAll(async () => {
    userId = await site.createUser({ chatId: "100200300" });
  });

  it("an upload is one file_uploaded row with the filename", async () => {
    const rows = await eventsOf(async () => {
      fileId = await site.uploadFile(userId, "stage1_golf_tdi.bin");
    });
    expect(rows).toEqual([
      {
        ...none,
        user_id: userId,
        kind: "file_uploaded",
        subject_id: fileId,
        label: "stage1_golf_tdi.bin",
        status_to: "RECEIVED",
      },
    ]);
  });

  it("the website's status change with an estimate (one UPDATE) is ONE row with both facts", async () => {
    const rows = await eventsOf(() => site.changeFileStatus(fileId, "PENDING", 30));
    expect(rows).toEqual([
      {
        ...none,
        user_id: userId,
        kind: "file_status",
        subject_id: fileId,
        label: "stage1_golf_tdi.bin",
        status_to: "PENDING",
        eta_minutes: 30,
      },
    ]);
  });

  it("a new estimate alone is a file_eta row", async () => {
    const rows = await eventsOf(
      () =>
        db.sql`UPDATE tuning_files SET "estimatedProcessingTime" = 45, "estimatedProcessingTimeSetAt" = now(), "updatedAt" = now() WHERE id = ${fileId}`,
    );
    expect(rows).toEqual([
      {
        ...none,
        user_id: userId,
        kind: "file_eta",
        subject_id: fileId,
        label: "stage1_golf_tdi.bin",
        eta_minutes: 45,
      },
    ]);
  });

  it("clearing the estimate tells nobody", async () => {
    const rows = await eventsOf(
      () =>
        db.sql`UPDATE tuning_files SET "estimatedProcessingTime" = NULL, "estimatedProcessingTimeSetAt" = NULL, "updatedAt" = now() WHERE id = ${fileId}`,
    );
    expect(rows).toEqual([]);
  });

  it("PENDING → READY, READY → PENDING, PENDING → RECEIVED are each one file_status row", async () => {
    for (const status of ["READY", "PENDING", "RECEIVED"]) {
      const rows = await eventsOf(() => site.changeFileStatus(fileId, status));
      expect(rows.map((r) => [r.kind, r.status_to])).toEqual([["file_status", status]]);
    }
  });

  it("the modified-file upload (status READY) is one file_status READY row", async () => {
    await site.changeFileStatus(fileId, "PENDING");
    const rows = await eventsOf(() => site.uploadModifiedFile(fileId));
    expect(rows.map((r) => [r.kind, r.status_to])).toEqual([["file_status", "READY"]]);
  });

  it("an admin comment is a file_comment row carrying the comment; a blank one is nothing", async () => {
    const rows = await eventsOf(() =>
      site.commentOnFile(fileId, "Your DPF is off, please check the idle."),
    );
    expect(rows).toEqual([
      {
        ...none,
        user_id: userId,
        kind: "file_comment",
        subject_id: fileId,
        label: "stage1_golf_tdi.bin",
        comment: "Your DPF is off, please check the idle.",
      },
    ]);
    expect(await eventsOf(() => site.commentOnFile(fileId, "   \n"))).toEqual([]);
    expect(await eventsOf(() => site.commentOnFile(fileId, null))).toEqual([]);
  });

  it("payment of the file is a file_paid row", async () => {
    const rows = await eventsOf(() => site.markFilePaid(fileId));
    expect(rows).toEqual([
      {
        ...none,
        user_id: userId,
        kind: "file_paid",
        subject_id: fileId,
        label: "stage1_golf_tdi.bin",
        paid: true,
      },
    ]);
  });

  it("an UPDATE that only bumps updatedAt is nothing", async () => {
    expect(await eventsOf(() => site.touchFile(fileId))).toEqual([]);
    expect(
      await eventsOf(() =>
        site.changeFileStatus(fileId, "PENDING").then(() => site.touchFile(fileId)),
      ),
    ).toHaveLength(1);
  });

  it("a website transaction that fails on its own error leaves nothing", async () => {
    const rows = await eventsOf(() =>
      expect(
        db.sql.begin(async (tx) => {
          const inTransaction = website(tx as unknown as typeof db.sql);
          await inTransaction.changeFileStatus(fileId, "READY");
          await inTransaction.uploadFile(userId, "never.bin");
          await inTransaction.uploadFile("a-deleted-customer", "orphan.bin");
        }),
      ).rejects.toThrow(
        'insert or update on table "tuning_files" violates foreign key constraint "tuning_files_userId_fkey"',
      ),
    );
    expect(rows).toEqual([]);
  });
});

describe("orders and payments events", () => {
  it("each order status after PENDING is one order_status row with the order number", async () => {
    const orderId = await site.placeOrder(userId, "CC-1001");
    for (const status of ["CONFIRMED", "PROCESSING", "DELIVERED", "CANCELLED", "REFUNDED"]) {
      const rows = await eventsOf(() => site.setOrderStatus(orderId, status));
      expect(rows).toEqual([
        {
          ...none,
          user_id: userId,
          kind: "order_status",
          subject_id: orderId,
          label: "CC-1001",
          status_to: status,
        },
      ]);
    }
  });

  it("shipping with a tracking number in one UPDATE is ONE order_status row with the tracking number", async () => {
    const orderId = await site.placeOrder(userId, "CC-1002");
    await site.setOrderStatus(orderId, "CONFIRMED");
    const rows = await eventsOf(() => site.shipOrder(orderId, "YAL-123456"));
    expect(rows).toEqual([
      {
        ...none,
        user_id: userId,
        kind: "order_status",
        subject_id: orderId,
        label: "CC-1002",
        status_to: "SHIPPED",
        tracking_number: "YAL-123456",
      },
    ]);
  });

  it("a tracking number alone, and COD DISPATCHED / DELIVERED, are order_shipping rows; other COD steps are nothing", async () => {
    const orderId = await site.placeOrder(userId, "CC-1003");
    const tracking = await eventsOf(
      () =>
        db.sql`UPDATE orders SET "trackingNumber" = 'YAL-9', "updatedAt" = now() WHERE id = ${orderId}`,
    );
    expect(tracking).toEqual([
      {
        ...none,
        user_id: userId,
        kind: "order_shipping",
        subject_id: orderId,
        label: "CC-1003",
        tracking_number: "YAL-9",
      },
    ]);
    expect(await eventsOf(() => site.setCodStatus(orderId, "SUBMITTED"))).toEqual([]);
    for (const cod of ["DISPATCHED", "DELIVERED"]) {
      const rows = await eventsOf(() => site.setCodStatus(orderId, cod));
      expect(rows).toEqual([
        {
          ...none,
          user_id: userId,
          kind: "order_shipping",
          subject_id: orderId,
          label: "CC-1003",
          cod_status: cod,
        },
      ]);
    }
    expect(await eventsOf(() => site.setCodStatus(orderId, "FAILED"))).toEqual([]);
  });

  it("a guest order (userId NULL) produces nothing, whatever happens to it", async () => {
    const orderId = await site.placeOrder(null, "CC-GUEST");
    const rows = await eventsOf(async () => {
      await site.setOrderStatus(orderId, "CONFIRMED");
      await site.shipOrder(orderId, "YAL-777");
      await site.setCodStatus(orderId, "DELIVERED");
      const paymentId = await site.createPayment(orderId);
      await site.setPaymentStatus(paymentId, "SUCCEEDED");
    });
    expect(rows).toEqual([]);
  });

  it("a payment moving to SUCCEEDED, or recorded as SUCCEEDED, is one payment_received row for the order's customer", async () => {
    const orderId = await site.placeOrder(userId, "CC-1004");
    const paymentId = await site.createPayment(orderId);
    expect(await eventsOf(() => site.setPaymentStatus(paymentId, "PROCESSING"))).toEqual([]);
    const rows = await eventsOf(() => site.setPaymentStatus(paymentId, "SUCCEEDED"));
    expect(rows).toEqual([
      {
        ...none,
        user_id: userId,
        kind: "payment_received",
        subject_id: orderId,
        label: "CC-1004",
        status_to: "SUCCEEDED",
      },
    ]);
    const direct = await eventsOf(() => site.createPayment(orderId, "SUCCEEDED"));
    expect(direct.map((r) => r.kind)).toEqual(["payment_received"]);
    expect(
      await eventsOf(() => db.sql`UPDATE payments SET "updatedAt" = now() WHERE id = ${paymentId}`),
    ).toEqual([]);
  });

  it("an order update that only bumps updatedAt is nothing", async () => {
    const orderId = await site.placeOrder(userId);
    expect(
      await eventsOf(
        () =>
          db.sql`UPDATE orders SET "updatedAt" = now(), "adminNotes" = 'x' WHERE id = ${orderId}`,
      ),
    ).toEqual([]);
  });
});

describe("who gets told", () => {
  it("events of unlinked customers are recorded (the notifier skips them cheaply, see notifier) — the website's write is not slowed by a users lookup", async () => {
    const unlinked = await site.createUser();
    const rows = await eventsOf(() => site.uploadFile(unlinked));
    expect(rows.map((r) => [r.user_id, r.kind, r.status])).toEqual([
      [unlinked, "file_uploaded", "pending"],
    ]);
  });
});
