import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimDue, retryLater } from "../src/notifier/outbox.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher } from "./support/notifier-harness.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const claim = () => claimDue(db.sql, { workerId: "test", limit: 500, leaseSeconds: 30 });

/** The outbox as a DBA reads it: each row's file label, status and who holds its lease. */
async function outbox() {
  return db.sql<Array<{ label: string; status: string; locked_by: string | null }>>`
    SELECT label, status, locked_by FROM telegram.outbox ORDER BY id`;
}

// Migration 000022: a claim first asks whether anything could be claimed (a new event,
// or a pending row that is due and free) and answers "nothing" without the full claim.
// Rows that come back without a new event must still be found.
describe("a claim with no new event in telegram.events", () => {
  let chat = 81_000;
  /** Earlier tests' rows settled, then one uploaded file per label, all claimed. */
  async function claimedFiles(labels: string[]) {
    await db.sql`UPDATE telegram.outbox SET status = 'sent', locked_until = NULL WHERE status = 'pending'`;
    const site = website(db.sql);
    for (const label of labels) {
      const user = await site.createUser({ chatId: cipher.encrypt(chat++) });
      await site.uploadFile(user, label);
    }
    const first = await claim();
    expect(first.rows.map((r) => r.label)).toEqual(labels);
    return (label: string) => first.rows.find((r) => r.label === label)?.id ?? "";
  }

  async function noEvents() {
    const [{ events }] = await db.sql<[{ events: number }]>`
      SELECT count(*)::int AS events FROM telegram.recorded_events`;
    expect(events).toBe(0);
  }

  it("leases a row whose retry came due, not one due in an hour", async () => {
    const id = await claimedFiles(["retried.bin", "not-due.bin"]);
    // Telegram failed both: one is due again now, the other in an hour.
    await retryLater(db.sql, id("retried.bin"), "502", 0);
    await retryLater(db.sql, id("not-due.bin"), "502", 3_600_000);
    await noEvents();
    expect((await claim()).rows.map((r) => r.label)).toEqual(["retried.bin"]);
    expect((await outbox()).slice(-2)).toEqual([
      { label: "retried.bin", status: "pending", locked_by: "test" },
      { label: "not-due.bin", status: "pending", locked_by: null },
    ]);
  });

  it("leases again a row whose lease ran out (its notifier died), not one still leased", async () => {
    const id = await claimedFiles(["lease-ran-out.bin", "still-leased.bin"]);
    await db.sql`UPDATE telegram.outbox SET locked_until = now() - interval '1 second', locked_by = 'gone'
                  WHERE id = ${id("lease-ran-out.bin")}`;
    await noEvents();
    expect((await claim()).rows.map((r) => r.label)).toEqual(["lease-ran-out.bin"]);
    expect((await outbox()).slice(-2)).toEqual([
      { label: "lease-ran-out.bin", status: "pending", locked_by: "test" },
      { label: "still-leased.bin", status: "pending", locked_by: "test" },
    ]);
  });

  it("with nothing due, finds nothing and writes nothing", async () => {
    const before = await outbox();
    expect(await claim()).toEqual({ rows: [], skipped: [] });
    expect(await outbox()).toEqual(before);
  });
});
