import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimDue } from "../src/notifier/outbox.ts";
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

/** The outbox row of one file's upload, as a DBA reads it. */
async function rowOf(label: string) {
  return db.sql<
    Array<{ status: string; last_error: string | null; attempts: number; locked_by: string | null }>
  >`SELECT status, last_error, attempts, locked_by FROM telegram.outbox WHERE label = ${label}`;
}

// A lone event (the common case: one website change, an idle notifier) is a claim of its
// own, and the customers nobody may tell are settled as skipped by the claim's ingest
// (migration 000027), never leased: for the rollout stage, nothing after the claim would
// stop the message.
describe("a claim that ingests one event", () => {
  let chat = 91_000;
  const linked = () => website(db.sql).createUser({ chatId: cipher.encrypt(chat++) });

  it("settles a customer outside the rollout stage as skipped, leasing nothing", async () => {
    const outside = await linked();
    await db.sql`UPDATE telegram.controls SET rollout_stage = 'internal'`;
    try {
      await website(db.sql).uploadFile(outside, "outside-the-stage.bin");
      expect(await claim()).toEqual({
        rows: [],
        skipped: [{ kind: "file_uploaded", reason: "not in rollout stage" }],
      });
    } finally {
      await db.sql`UPDATE telegram.controls SET rollout_stage = 'everyone'`;
    }
    expect(await rowOf("outside-the-stage.bin")).toEqual([
      { status: "skipped", last_error: "not in rollout stage", attempts: 0, locked_by: null },
    ]);
  });

  it("settles an unlinked customer's and a muted customer's event, each claimed alone", async () => {
    const unlinked = await website(db.sql).createUser();
    await website(db.sql).uploadFile(unlinked, "unlinked.bin");
    expect(await claim()).toEqual({
      rows: [],
      skipped: [{ kind: "file_uploaded", reason: "not linked" }],
    });
    const muted = await linked();
    await db.sql`INSERT INTO telegram.chat_prefs (user_id, muted_kinds) VALUES (${muted}, '{files}')`;
    await website(db.sql).uploadFile(muted, "muted.bin");
    expect(await claim()).toEqual({
      rows: [],
      skipped: [{ kind: "file_uploaded", reason: "muted" }],
    });
    expect([...(await rowOf("unlinked.bin")), ...(await rowOf("muted.bin"))]).toEqual([
      { status: "skipped", last_error: "not linked", attempts: 0, locked_by: null },
      { status: "skipped", last_error: "muted", attempts: 0, locked_by: null },
    ]);
  });

  it("leases a linked customer's event in the stage", async () => {
    const customer = await linked();
    await website(db.sql).uploadFile(customer, "told.bin");
    const { rows, skipped } = await claim();
    expect({ labels: rows.map((r) => r.label), skipped }).toEqual({
      labels: ["told.bin"],
      skipped: [],
    });
    expect(await rowOf("told.bin")).toEqual([
      { status: "pending", last_error: null, attempts: 1, locked_by: "test" },
    ]);
  });
});

// Migration 000027: with nothing pending before it, a claim leases new events as it
// writes them. It must lease exactly what the per-customer window would have: never a
// customer's event while an earlier one of theirs is pending, never more than the claim's
// limits.
describe("a claim that leases new events as it ingests them", () => {
  let chat = 92_000;
  const site = () => website(db.sql);
  const linked = () => site().createUser({ chatId: cipher.encrypt(chat++) });
  const labelsOf = (claim: { rows: Array<{ label: string | null }> }) =>
    claim.rows.map((r) => r.label);
  async function outbox(labels: string[]) {
    return db.sql<Array<{ label: string; status: string; locked_by: string | null }>>`
      SELECT label, status, locked_by FROM telegram.outbox WHERE label = ANY(${labels}) ORDER BY id`;
  }
  async function settleEarlierRows() {
    await db.sql`UPDATE telegram.outbox SET status = 'sent', locked_until = NULL WHERE status = 'pending'`;
  }

  it("leases each customer's first perCustomer events, the first limit of them, in recorded order", async () => {
    await settleEarlierRows();
    const [a, b, c] = [await linked(), await linked(), await linked()];
    for (const [user, label] of [
      [a, "a1"],
      [a, "a2"],
      [a, "a3"],
      [b, "b1"],
      [c, "c1"],
    ] as const)
      await site().uploadFile(user, label);
    const first = await claimDue(db.sql, {
      workerId: "test",
      limit: 3,
      perCustomer: 2,
      leaseSeconds: 30,
    });
    expect(labelsOf(first)).toEqual(["a1", "a2", "b1"]);
    expect(await outbox(["a1", "a2", "a3", "b1", "c1"])).toEqual([
      { label: "a1", status: "pending", locked_by: "test" },
      { label: "a2", status: "pending", locked_by: "test" },
      { label: "a3", status: "pending", locked_by: null },
      { label: "b1", status: "pending", locked_by: "test" },
      { label: "c1", status: "pending", locked_by: null },
    ]);
    // The next claim: a3 waits behind a1 and a2, still leased; c1 goes.
    const second = await claimDue(db.sql, {
      workerId: "next",
      limit: 500,
      perCustomer: 2,
      leaseSeconds: 30,
    });
    expect(labelsOf(second)).toEqual(["c1"]);
  });

  it("leaves a customer's new event pending while their earlier one is leased by another notifier", async () => {
    await settleEarlierRows();
    const [a, b] = [await linked(), await linked()];
    await site().uploadFile(a, "earlier.bin");
    const other = await claimDue(db.sql, { workerId: "other", limit: 500, leaseSeconds: 30 });
    expect(labelsOf(other)).toEqual(["earlier.bin"]);
    await site().uploadFile(a, "later.bin");
    await site().uploadFile(b, "someone-else.bin");
    const mine = await claimDue(db.sql, { workerId: "test", limit: 500, leaseSeconds: 30 });
    expect(labelsOf(mine)).toEqual(["someone-else.bin"]);
    expect(await outbox(["earlier.bin", "later.bin", "someone-else.bin"])).toEqual([
      { label: "earlier.bin", status: "pending", locked_by: "other" },
      { label: "later.bin", status: "pending", locked_by: null },
      { label: "someone-else.bin", status: "pending", locked_by: "test" },
    ]);
  });
});
