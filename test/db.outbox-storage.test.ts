import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher } from "./support/notifier-harness.ts";
import { website } from "./support/website.ts";

/**
 * The outbox leaves room on its pages (migration 000025, fillfactor 50): the claim's
 * lease of a row is then a HOT update on the row's own page, with no new index entries,
 * which is half the claim's buffer work in a drain (docs/benchmarks.md, "Drain CPU per
 * message"). Seen as a DBA would: PostgreSQL's own counters of the transaction.
 */

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe("telegram.outbox's storage", () => {
  it("the claim's lease of 300 fresh rows updates most in place (HOT), not on new pages", async () => {
    const site = website(db.sql);
    const user = await site.createUser({ chatId: cipher.encrypt(9_301) });
    for (let n = 0; n < 300; n++) await site.uploadFile(user, `map-${n}.bin`);
    // Pending in the outbox before the claim, as in a backlog (a claim with nothing
    // pending leases new rows as it writes them, migration 000027: no UPDATE at all).
    await db.sql`SELECT telegram.ingest_events()`;
    const [counts] = await db.sql.begin(async (tx) => {
      const leased = await tx`
        SELECT id FROM telegram.claim_batch('storage-test', 500, 500, 60, 2000) WHERE id IS NOT NULL`;
      const [{ updated, hot }] = await tx<[{ updated: number; hot: number }]>`
        SELECT pg_stat_get_xact_tuples_updated('telegram.outbox'::regclass)::int AS updated,
               pg_stat_get_xact_tuples_hot_updated('telegram.outbox'::regclass)::int AS hot`;
      return [{ leased: leased.length, updated, hot }];
    });
    expect(counts.leased).toBe(300);
    expect(counts.updated).toBe(300);
    // Most (256 of 300 here): a page's last rows move once its free half is used up by
    // the new versions, which are a little longer (locked_by, locked_until). With the
    // pages packed full (no fillfactor) none is HOT.
    expect(counts.hot).toBeGreaterThanOrEqual(200);
  });
});
