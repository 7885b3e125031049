import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
let site: ReturnType<typeof website>;

beforeAll(async () => {
  db = await createTestDatabase();
  site = website(db.sql);
});
afterAll(() => db.drop());

/** The columns a DBA reads of a waiting file event (all but recorded_at and the ids). */
const FILE_COLUMNS = `source, label, old_status, new_status, old_eta, new_eta,
  old_eta_set_at IS NOT NULL AS old_eta_set, new_eta_set_at IS NOT NULL AS new_eta_set,
  comment, comment_changed, old_payment, new_payment, modified_changed,
  old_tracking, new_tracking, old_cod, new_cod`;

/** A file's events waiting in telegram.intake (expanded from its one column), in order. */
function inIntake(fileId: string) {
  return db.sql.unsafe(
    `SELECT ${FILE_COLUMNS} FROM (SELECT (i.e).* FROM telegram.intake i) e
      WHERE subject_id = $1 ORDER BY recorded_at`,
    [fileId],
  );
}

describe("the website's events in telegram.intake (migration 000026)", () => {
  it("an upload and a status change with an estimate: one value each in telegram.intake, column for column what telegram.events held; telegram.recorded_events shows them, telegram.events stays empty", async () => {
    await db.sql`SELECT telegram.ingest_events()`;
    const userId = await site.createUser();
    const fileId = await site.uploadFile(userId, "golf.bin");
    await site.changeFileStatus(fileId, "PENDING", 45);

    const expected = [
      {
        source: "file_insert",
        label: "golf.bin",
        old_status: null,
        new_status: "RECEIVED",
        old_eta: null,
        new_eta: null,
        old_eta_set: false,
        new_eta_set: false,
        comment: null,
        comment_changed: null,
        old_payment: null,
        new_payment: null,
        modified_changed: null,
        old_tracking: null,
        new_tracking: null,
        old_cod: null,
        new_cod: null,
      },
      {
        source: "file_update",
        label: "golf.bin",
        old_status: "RECEIVED",
        new_status: "PENDING",
        old_eta: null,
        new_eta: 45,
        old_eta_set: false,
        new_eta_set: true,
        comment: null,
        comment_changed: false,
        old_payment: "NOT_PAID",
        new_payment: "NOT_PAID",
        modified_changed: false,
        old_tracking: null,
        new_tracking: null,
        old_cod: null,
        new_cod: null,
      },
    ];
    expect(await inIntake(fileId)).toEqual(expected);
    expect(
      await db.sql.unsafe(
        `SELECT ${FILE_COLUMNS} FROM telegram.recorded_events
          WHERE subject_id = $1 AND user_id = $2 ORDER BY recorded_at`,
        [fileId, userId],
      ),
    ).toEqual(expected);
    expect(await db.sql`SELECT count(*)::int AS n FROM telegram.events`).toEqual([{ n: 0 }]);

    // The ingest empties the intake into the outbox: the upload, then the status.
    await db.sql`SELECT telegram.ingest_events()`;
    expect(await inIntake(fileId)).toEqual([]);
    expect(
      await db.sql`SELECT kind, status_to, eta_minutes FROM telegram.outbox
                    WHERE subject_id = ${fileId} ORDER BY id`,
    ).toEqual([
      { kind: "file_uploaded", status_to: "RECEIVED", eta_minutes: null },
      { kind: "file_status", status_to: "PENDING", eta_minutes: 45 },
    ]);
  });

  it("the status unchanged: the other four conditions decide as before, a comment cleared included (recorded, as before 000026; no message)", async () => {
    const userId = await site.createUser();
    const fileId = await site.uploadFile(userId, "polo.bin");
    await site.commentOnFile(fileId, "map checked");
    await db.sql`SELECT telegram.ingest_events()`;

    await site.touchFile(fileId); // nothing we tell: not recorded
    await site.commentOnFile(fileId, null); // the comment's test is NULL: recorded
    await site.markFilePaid(fileId);
    expect(await inIntake(fileId)).toMatchObject([
      {
        source: "file_update",
        old_status: "RECEIVED",
        new_status: "RECEIVED",
        comment: null,
        comment_changed: true,
      },
      {
        source: "file_update",
        comment: null,
        comment_changed: false,
        old_payment: "NOT_PAID",
        new_payment: "PAID",
      },
    ]);
    await db.sql`SELECT telegram.ingest_events()`;
    expect(
      await db.sql`SELECT kind, paid FROM telegram.outbox WHERE subject_id = ${fileId} ORDER BY id`,
    ).toEqual([
      { kind: "file_uploaded", paid: null },
      { kind: "file_comment", paid: null },
      { kind: "file_paid", paid: true },
    ]);
  });
});
