import { userInfo } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixForFailure } from "../src/ops/failure-fixes.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher } from "./support/notifier-harness.ts";
import { runScript } from "./support/script-process.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
const KARIM_CHAT = 7_306_918_452;
const AMINA_CHAT = 5_550_424_242;
const BLOCKED = "Forbidden: bot was blocked by the user";
const NOT_FOUND = "Bad Request: chat not found";
const GAVE_UP = "gave up after 31 attempts: network error";
/** Ids of the seeded rows, by name. */
const ids: Record<string, string> = {};
let karim = "";
let amina = "";

/** A row of telegram.outbox as the notifier leaves it, recorded `age` ago. */
async function outboxRow(
  name: string,
  row: { user: string; kind: string; label: string; status: string; error?: string; age: string },
) {
  const [r] = await db.sql<[{ id: string }]>`
    INSERT INTO telegram.outbox (user_id, kind, subject_id, label, status, attempts, last_error,
                                 created_at, sent_at, due_at)
    VALUES (${row.user}, ${row.kind}, ${`s-${name}`}, ${row.label}, ${row.status}, 3,
            ${row.error ?? null}, now() - ${row.age}::interval,
            ${row.status === "sent" ? db.sql`now()` : null},
            ${row.status === "failed" ? db.sql`now() + interval '1 hour'` : null})
    RETURNING id::text`;
  ids[name] = r.id;
}

beforeAll(async () => {
  db = await createTestDatabase();
  const site = website(db.sql);
  karim = await site.createUser({
    email: "Karim.Benali@Example.com",
    chatId: cipher.encrypt(KARIM_CHAT),
  });
  amina = await site.createUser({ email: "amina@example.com", chatId: String(AMINA_CHAT) });
  const file = { kind: "file_status", label: "stage1_golf_tdi.bin" };
  await outboxRow("k1", { user: karim, ...file, status: "failed", error: BLOCKED, age: "1 hour" });
  await outboxRow("k2", {
    user: karim,
    kind: "order_status",
    label: "CC-1001",
    status: "failed",
    error: NOT_FOUND,
    age: "3 days",
  });
  await outboxRow("a1", {
    user: amina,
    ...file,
    status: "failed",
    error: NOT_FOUND,
    age: "1 hour",
  });
  await outboxRow("a2", {
    user: amina,
    kind: "order_shipping",
    label: "CC-1002",
    status: "failed",
    error: GAVE_UP,
    age: "5 days",
  });
  await outboxRow("gone", {
    user: "deleted-customer-id",
    kind: "file_uploaded",
    label: "remap.bin",
    status: "failed",
    error: NOT_FOUND,
    age: "2 hours",
  });
  // Never listed: not failed.
  await outboxRow("sent", { user: karim, ...file, status: "sent", age: "1 hour" });
  await outboxRow("pending", { user: amina, ...file, status: "pending", age: "1 hour" });
  await outboxRow("skipped", {
    user: amina,
    ...file,
    status: "skipped",
    error: "muted",
    age: "1 hour",
  });
});
afterAll(() => db.drop());

/** Runs scripts/failed.ts as an operator does, on the test database. */
function failed(...args: string[]) {
  return runScript(["scripts/failed.ts", ...args], { DATABASE_URL: db.url });
}

/** The names of the seeded rows printed as "#<id>", in printed order. */
function listed(stdout: string): string[] {
  const byId = new Map(Object.entries(ids).map(([name, id]) => [id, name]));
  return [...stdout.matchAll(/#(\d+)\b/g)].map((m) => byId.get(m[1] ?? "") ?? `#${m[1]}`);
}

/** Every outbox row's state: what resend and skip change. */
function outboxState() {
  return db.sql`
    SELECT id, status, attempts, last_error, due_at, locked_until FROM telegram.outbox ORDER BY id`;
}

function auditRows() {
  return db.sql<
    Array<{ actor: string; action: string; old: unknown; new: unknown; detail: string }>
  >`
    SELECT actor, action, old, new, detail FROM telegram.control_audit ORDER BY id`;
}

describe("npm run failed -- list", () => {
  it("shows every failed notification oldest first, a summary by reason with each fix and by kind, and no chat id", async () => {
    const { code, stdout } = await failed("list");
    expect(code).toBe(0);
    expect(listed(stdout)).toEqual(["k1", "k2", "a1", "a2", "gone"]);
    const summary = stdout.slice(0, stdout.indexOf("Oldest first:"));
    expect(summary.split("\n")).toEqual([
      "5 failed notifications",
      "",
      "By reason:",
      `  3  ${NOT_FOUND}`,
      `      fix: ${fixForFailure(NOT_FOUND)}`,
      `  1  ${BLOCKED}`,
      `      fix: ${fixForFailure(BLOCKED)}`,
      `  1  ${GAVE_UP}`,
      `      fix: ${fixForFailure(GAVE_UP)}`,
      "",
      "By kind:",
      "  2  file_status",
      "  1  file_uploaded",
      "  1  order_shipping",
      "  1  order_status",
      "",
      "",
    ]);
    expect(stdout).toContain("Karim.Benali@Example.com");
    expect(stdout).toContain("deleted-customer-id (deleted)");
    for (const secret of [
      String(KARIM_CHAT),
      String(AMINA_CHAT),
      cipher.encrypt(KARIM_CHAT).replace(/^tg1:/, ""),
    ])
      expect(stdout).not.toContain(secret);
  });

  it("filters by reason (any case), kind, customer (email any case, users.id, a deleted one's id) and time, all together", async () => {
    const cases: Array<[string[], string[]]> = [
      [
        ["--reason", "CHAT NOT found"],
        ["k2", "a1", "gone"],
      ],
      [
        ["--kind", "file_status"],
        ["k1", "a1"],
      ],
      [
        ["--customer", "karim.benali@EXAMPLE.com"],
        ["k1", "k2"],
      ],
      [
        ["--customer", amina],
        ["a1", "a2"],
      ],
      [["--customer", "deleted-customer-id"], ["gone"]],
      [
        ["--since", "2d"],
        ["k1", "a1", "gone"],
      ],
      [["--since", "4d", "--until", "2d"], ["k2"]],
      [["--reason", "chat not found", "--customer", "Karim.Benali@Example.com"], ["k2"]],
    ];
    for (const [args, expected] of cases) {
      const { code, stdout } = await failed("list", ...args);
      expect({ args, code, rows: listed(stdout) }).toEqual({ args, code: 0, rows: expected });
    }
  }, 300_000);

  it("the same selection in SQL, as a DBA writes it", async () => {
    const rows = await db.sql<Array<{ id: string; email: string | null; reason: string }>>`
      SELECT id::text, email, reason FROM telegram.failed_notifications(
        p_reason => 'chat not found', p_since => now() - interval '1 day')`;
    expect(rows).toEqual([
      { id: ids.a1, email: "amina@example.com", reason: NOT_FOUND },
      { id: ids.gone, email: null, reason: NOT_FOUND },
    ]);
  });

  it("a wrong time or command is refused with what to give", async () => {
    const wrongTime = await failed("list", "--since", "yesterday");
    expect(wrongTime.code).toBe(2);
    expect(wrongTime.stderr).toContain("--since yesterday: give an ISO date or time");
    const wrongCommand = await failed("resnd", "--all");
    expect(wrongCommand.code).toBe(2);
    expect(wrongCommand.stderr).toContain('unknown command "resnd": list, resend or skip');
  });
});

describe("npm run failed -- resend and skip", () => {
  it("resend --dry-run shows what would be resent and changes nothing, audits nothing", async () => {
    const before = await outboxState();
    const { code, stdout } = await failed("resend", "--reason", "chat not found", "--dry-run");
    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toBe(
      "dry run: 3 failed notifications would be resent; nothing changed",
    );
    expect(listed(stdout)).toEqual(["k2", "a1", "gone"]);
    expect(await outboxState()).toEqual(before);
    expect(await auditRows()).toEqual([]);
  });

  it("resend or skip without a filter is refused: --all must be said", async () => {
    const before = await outboxState();
    const { code, stderr } = await failed("resend");
    expect(code).toBe(2);
    expect(stderr).toContain(
      "resend needs a filter (--reason, --kind, --customer, --since, --until, --id) or --all",
    );
    expect((await failed("skip", "--all", "--kind", "file_status")).code).toBe(2);
    expect(await outboxState()).toEqual(before);
  });

  it("skip marks the selection skipped by operator, never to be sent, and audits who did it with the ids", async () => {
    const { code, stdout } = await failed(
      "skip",
      "--customer",
      "AMINA@example.com",
      "--reason",
      "gave up",
    );
    expect(code).toBe(0);
    const actor = `operator:${userInfo().username}`;
    expect(stdout.split("\n")[0]).toBe(
      `1 failed notification marked skipped (audited as ${actor})`,
    );
    expect(listed(stdout)).toEqual(["a2"]);
    const [row] =
      await db.sql`SELECT status, last_error FROM telegram.outbox WHERE id = ${ids.a2 ?? ""}`;
    expect(row).toEqual({ status: "skipped", last_error: "skipped by operator" });
    expect(await auditRows()).toEqual([
      {
        actor,
        action: "skip",
        old: { status: "failed", reasons: { [ids.a2 ?? ""]: GAVE_UP } },
        new: { status: "skipped", ids: [Number(ids.a2)], count: 1 },
        detail: `skipped 1 failed notification(s): ids ${ids.a2}`,
      },
    ]);
    expect(listed((await failed("list")).stdout)).toEqual(["k1", "k2", "a1", "gone"]);
  });

  it("resend in SQL by a DBA: the row is pending again with a fresh start, audited under the database role; a second resend finds nothing", async () => {
    await db.sql`DELETE FROM telegram.control_audit`;
    const dry =
      await db.sql`SELECT id::text FROM telegram.resend_failed(p_dry_run => true, p_ids => ${[ids.k2 ?? ""]}::bigint[])`;
    expect(dry).toEqual([{ id: ids.k2 }]);
    expect(await auditRows()).toEqual([]);

    const done = await db.sql`
      SELECT id::text, reason, attempts FROM telegram.resend_failed(p_dry_run => false, p_ids => ${[ids.k2 ?? ""]}::bigint[])`;
    expect(done).toEqual([{ id: ids.k2, reason: NOT_FOUND, attempts: 3 }]);
    const [row] = await db.sql`
      SELECT status, attempts, last_error, due_at, locked_until FROM telegram.outbox WHERE id = ${ids.k2 ?? ""}`;
    expect(row).toEqual({
      status: "pending",
      attempts: 0,
      last_error: null,
      due_at: null,
      locked_until: null,
    });
    const [{ role }] = await db.sql<[{ role: string }]>`SELECT session_user::text AS role`;
    expect(await auditRows()).toEqual([
      {
        actor: role,
        action: "resend",
        old: { status: "failed", reasons: { [ids.k2 ?? ""]: NOT_FOUND } },
        new: { status: "pending", ids: [Number(ids.k2)], count: 1 },
        detail: `resent 1 failed notification(s): ids ${ids.k2}`,
      },
    ]);
    const again =
      await db.sql`SELECT id FROM telegram.resend_failed(p_dry_run => false, p_ids => ${[ids.k2 ?? ""]}::bigint[])`;
    expect(again).toEqual([]);
    expect(await auditRows()).toHaveLength(1);
  });
});
