import pg from "pg";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { openTransaction } from "./support/open-transaction.ts";
import { until } from "./support/wait.ts";
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
  await setNotifierIdle(false);
  await listener.end();
  await db.drop();
});

/** Lets notifications already sent reach the listening connection. */
async function settle(): Promise<void> {
  // A round trip on the listening connection delivers every notification queued before it.
  await listener.query("SELECT 1");
}

let notifierSession: postgres.ReservedSql | undefined;
/**
 * A notifier listening and idle holds its ring locks (telegram.notifier_set_busy(false))
 * on a session of its own; a busy one gives them back, and none runs: nobody holds them.
 */
async function setNotifierIdle(idle: boolean) {
  if (idle && !notifierSession) {
    notifierSession = await db.sql.reserve();
    await notifierSession`SELECT telegram.notifier_set_busy(false)`;
  } else if (!idle && notifierSession) {
    await notifierSession`SELECT telegram.notifier_set_busy(true)`;
    notifierSession.release();
    notifierSession = undefined;
  }
}

async function eventsOf(userId: string): Promise<number> {
  const [{ n }] = await db.sql<
    [{ n: number }]
  >`SELECT count(*)::int AS n FROM telegram.recorded_events WHERE user_id = ${userId}`;
  return n;
}

describe("the doorbell (NOTIFY telegram_outbox)", () => {
  it("rings only after COMMIT, never for a rollback", async () => {
    await setNotifierIdle(true);
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

  it("does not ring while no notifier runs or one is busy, yet the row is there; rings once one listens and is idle", async () => {
    await setNotifierIdle(false);
    const site = website(db.sql);
    const userId = await site.createUser({ chatId: "778" });
    received.length = 0;
    await site.uploadFile(userId);
    await settle();
    expect(received).toEqual([]);
    expect(await eventsOf(userId)).toBe(1);
    await setNotifierIdle(true);
    await site.uploadFile(userId);
    await settle();
    expect(received).toEqual(["telegram_outbox"]);
    expect(await eventsOf(userId)).toBe(2);
  });

  it("a notifier becoming idle waits for the writers that found the bell silent: a claim after it sees their events", async () => {
    await setNotifierIdle(false);
    const site = website(db.sql);
    const silent = await site.createUser({ chatId: "779" });
    // A website transaction records an event while no notifier is idle, and stays open.
    const writer = await openTransaction(db.sql, (tx) => website(tx).uploadFile(silent));
    // A notifier arms (telegram.notifier_set_busy(false)); it waits for that transaction.
    notifierSession = await db.sql.reserve();
    const [{ pid }] = await notifierSession<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
    let armed = false;
    const arming = notifierSession`SELECT telegram.notifier_set_busy(false)`.then(() => {
      armed = true;
    });
    await until(
      async () => {
        const [row] = await db.sql`
          SELECT wait_event FROM pg_stat_activity WHERE pid = ${pid} AND wait_event_type = 'Lock'`;
        return row?.wait_event === "advisory";
      },
      { what: "the notifier's arming waiting for the open transaction" },
    );
    expect(armed).toBe(false);
    // Once it commits, the arming returns, and a claim from then on sees its event.
    writer.commit();
    await writer.done;
    await arming;
    expect(await eventsOf(silent)).toBe(1);
  });

  it("one transaction updating 10,000 files of linked customers: 10,000 rows, at most a handful of NOTIFYs", async () => {
    await setNotifierIdle(true);
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
