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
// own, and the customers nobody may tell are settled by the claim's skip step (the rows
// above the last outbox id before the claim's ingest), never leased: for the rollout
// stage, nothing after the claim would stop the message.
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
