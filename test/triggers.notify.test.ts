import pg from "pg";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
let listener: pg.Client;
const received: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  listener = new pg.Client({ connectionString: db.url });
  await listener.connect();
  listener.on("notification", (n) => received.push(n.channel));
  await listener.query("LISTEN telegram_outbox");
});
afterAll(async () => {
  await listener.end();
  await db.drop();
});

/** Lets notifications already sent reach the listening connection. */
async function settle(): Promise<void> {
  // A round trip on the listening connection delivers every notification queued before it.
  await listener.query("SELECT 1");
}

let busyNotifier: postgres.ReservedSql | undefined;
/** A notifier is busy while it holds its busy locks (telegram.notifier_set_busy); idle otherwise. */
async function setNotifierBusy(busy: boolean) {
  if (busy && !busyNotifier) {
    busyNotifier = await db.sql.reserve();
    await busyNotifier`SELECT telegram.notifier_set_busy(true)`;
  } else if (!busy && busyNotifier) {
    await busyNotifier`SELECT telegram.notifier_set_busy(false)`;
    busyNotifier.release();
    busyNotifier = undefined;
  }
}

describe("the doorbell (NOTIFY telegram_outbox)", () => {
  it("rings only after COMMIT, never for a rollback", async () => {
    await setNotifierBusy(false);
    const userId = await website(db.sql).createUser({ chatId: "777" });
    await settle();
    received.length = 0;
    const upload = (tx: postgres.TransactionSql, id: string) =>
      tx`INSERT INTO tuning_files (id, "userId", "originalFilename", "r2Key", "fileSize", "fileType", "updatedAt")
         VALUES (${id}, ${userId}, 'a.bin', 'k-rb', 1, 'bin', now())`;
    // The website's second upload reuses the storage key: its own error rolls both back.
    await expect(
      db.sql.begin(async (tx) => {
        await upload(tx, "rolled-back-1");
        await upload(tx, "rolled-back-2");
      }),
    ).rejects.toThrow('duplicate key value violates unique constraint "tuning_files_r2Key_key"');
    await settle();
    expect(received).toEqual([]);

    let inside = -1;
    await db.sql.begin(async (tx) => {
      await tx`INSERT INTO tuning_files (id, "userId", "originalFilename", "r2Key", "fileSize", "fileType", "updatedAt")
               VALUES ('committed', ${userId}, 'a.bin', 'k-c', 1, 'bin', now())`;
      await settle();
      inside = received.length;
    });
    await settle();
    expect(inside).toBe(0);
    expect(received).toEqual(["telegram_outbox"]);
  });

  it("does not ring while a notifier is busy draining, yet the row is there; rings again once it is idle", async () => {
    await setNotifierBusy(true);
    const site = website(db.sql);
    const userId = await site.createUser({ chatId: "778" });
    received.length = 0;
    await site.uploadFile(userId);
    await settle();
    expect(received).toEqual([]);
    const [{ n }] = await db.sql<
      [{ n: number }]
    >`SELECT count(*)::int AS n FROM telegram.events WHERE user_id = ${userId}`;
    expect(n).toBe(1);
    await setNotifierBusy(false);
    await site.uploadFile(userId);
    await settle();
    expect(received).toEqual(["telegram_outbox"]);
  });

  it("one transaction updating 10,000 files of linked customers: 10,000 rows, at most a handful of NOTIFYs", async () => {
    await setNotifierBusy(false);
    const site = website(db.sql);
    const users: string[] = [];
    for (let i = 0; i < 20; i++) users.push(await site.createUser({ chatId: String(900000 + i) }));
    await db.sql`
      INSERT INTO tuning_files (id, "userId", "originalFilename", "r2Key", "fileSize", "fileType", "updatedAt")
      SELECT 'bulk-' || g, (${users} :: text[])[1 + g % 20], 'f' || g || '.bin', 'bulk-key-' || g, 1, 'bin', now()
        FROM generate_series(1, 10000) g`;
    await settle();
    await db.sql`SELECT telegram.ingest_events()`;
    const [{ before }] = await db.sql<
      [{ before: string }]
    >`SELECT max(id) AS before FROM telegram.outbox`;
    received.length = 0;
    await db.sql`UPDATE tuning_files SET status = 'PENDING', "updatedDate" = now(), "updatedAt" = now() WHERE id LIKE 'bulk-%'`;
    await settle();
    const [{ moved }] = await db.sql<[{ moved: number }]>`SELECT telegram.ingest_events() AS moved`;
    expect(moved).toBe(10000);
    const [{ n }] = await db.sql<[{ n: number }]>`
      SELECT count(*)::int AS n FROM telegram.outbox WHERE id > ${before} AND kind = 'file_status'`;
    expect(n).toBe(10000);
    expect(received.length).toBeGreaterThanOrEqual(1);
    expect(received.length).toBeLessThanOrEqual(3);
  });
});
