/**
 * Pause and resume as an operator uses them: scripts/notifications.ts as a process while
 * `npm start` runs, and the SQL functions a DBA calls. Events recorded during the pause
 * wait in the outbox, command replies go on, and on resume everything goes out in order
 * (or what waited too long is dropped, counted first by a dry run).
 */
import { describe, expect, it } from "vitest";
import { ChatIdCipher } from "../src/chat-id.ts";
import { say } from "./support/chat.ts";
import { runScript } from "./support/script-process.ts";
import { serviceEnv, serviceFixtures, startServiceProcess } from "./support/service-process.ts";
import { until } from "./support/wait.ts";
import { website } from "./support/website.ts";

const fixtures = serviceFixtures();
const PATIENCE = { timeoutMs: 60_000 };

/** The outbox rows of these files, in the order they were recorded. */
function rowsOf(sql: typeof fixtures.db.sql, files: string[]) {
  return sql<
    Array<{
      label: string;
      status: string;
      attempts: number;
      locked_by: string | null;
      last_error: string | null;
    }>
  >`SELECT label, status, attempts, locked_by, last_error FROM telegram.outbox
     WHERE label = ANY(${files}) ORDER BY id`;
}

/** Waits until the running service on `port` shows the pause in /healthz. */
function untilServiceSeesPause(port: number) {
  return until(
    async () => {
      const body = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
        controls?: { paused: boolean };
      };
      return body.controls?.paused;
    },
    { ...PATIENCE, what: "/healthz showing the pause" },
  );
}

describe("pause and resume", () => {
  it("while paused events wait and commands are answered; on resume all go out, in order", async () => {
    const { db, telegram } = fixtures;
    const env = serviceEnv(db, telegram);
    const cipher = ChatIdCipher.fromBase64(env.TELEGRAM_CHAT_ID_KEY ?? "");
    const shop = website(db.sql);
    const karim = await shop.createUser({ chatId: cipher.encrypt(7201) });
    const lina = await shop.createUser({ chatId: cipher.encrypt(7202) });
    const service = await startServiceProcess(env);
    const dbEnv = { DATABASE_URL: db.url };

    const paused = await runScript(
      ["scripts/notifications.ts", "pause", "--reason", "importing statuses"],
      dbEnv,
    );
    expect(paused.code, paused.out).toBe(0);
    expect(paused.stdout).toContain("notifications paused (importing statuses)");
    await untilServiceSeesPause(service.port);

    const karimFiles = ["k1.bin", "k2.bin", "k3.bin"];
    const linaFiles = ["l1.bin", "l2.bin"];
    for (const [i, file] of karimFiles.entries()) {
      await shop.uploadFile(karim, file);
      const other = linaFiles[i];
      if (other) await shop.uploadFile(lina, other);
    }
    // The notifier goes on taking the events into the outbox (a claim ran after them),
    // and leases none of them.
    const waiting = await until(
      async () => {
        const [{ events }] = await db.sql<[{ events: number }]>`
          SELECT count(*)::int AS events FROM telegram.recorded_events`;
        const rows = await rowsOf(db.sql, [...karimFiles, ...linaFiles]);
        return events === 0 && rows.length === 5 && rows;
      },
      { ...PATIENCE, what: "the events in the outbox" },
    );
    expect(waiting.map((r) => [r.status, r.attempts, r.locked_by])).toEqual(
      Array(5).fill(["pending", 0, null]),
    );
    expect(telegram.sent(7201)).toEqual([]);
    expect(telegram.sent(7202)).toEqual([]);
    // Commands are answered while paused.
    expect(await say(telegram, 7201, "/files")).toContain("k3.bin");

    const resumed = await runScript(["scripts/notifications.ts", "resume"], dbEnv);
    expect(resumed.code, resumed.out).toBe(0);
    expect(resumed.stdout).toMatch(/notifications resumed after .+\n5 events go out/);
    await telegram.waitForMessages(1 + 3, { chatId: 7201, timeoutMs: 60_000 });
    await telegram.waitForMessages(2, { chatId: 7202, timeoutMs: 60_000 });
    const fileIn = (text: string) => /[kl]\d\.bin/.exec(text)?.[0];
    expect(
      telegram
        .sent(7201)
        .slice(1)
        .map((m) => fileIn(m.text)),
    ).toEqual(karimFiles);
    expect(telegram.sent(7202).map((m) => fileIn(m.text))).toEqual(linaFiles);

    const audit = await db.sql<Array<{ actor: string; detail: string; paused: boolean }>>`
      SELECT actor, detail, new->>'paused_at' IS NOT NULL AS paused
        FROM telegram.control_audit ORDER BY id`;
    expect(audit).toEqual([
      {
        actor: expect.stringMatching(/^operator:/),
        detail: "paused: importing statuses",
        paused: true,
      },
      { actor: expect.stringMatching(/^operator:/), detail: "resumed", paused: false },
    ]);
    // Stopped and gone before the next test, which needs no notifier running.
    service.child.kill("SIGTERM");
    await service.exited;
  }, 240_000);

  it("resume --drop-older-than: a dry run counts, changes nothing; the SQL drops and audits", async () => {
    const { db } = fixtures;
    const dbEnv = { DATABASE_URL: db.url };
    const shop = website(db.sql);
    const customer = await shop.createUser({ chatId: "tg1:not-sent-in-this-test" });
    const [pause] = await db.sql`SELECT * FROM telegram.pause_notifications('maintenance')`;
    expect(pause).toMatchObject({ paused_reason: "maintenance", already_paused: false });
    for (const file of ["old1.bin", "old2.bin", "new.bin"]) await shop.uploadFile(customer, file);
    // No notifier runs: the events wait where the triggers put them; two are 3 hours old.
    await db.sql`UPDATE telegram.intake SET e.recorded_at = now() - interval '3 hours'
                  WHERE (e).label IN ('old1.bin', 'old2.bin')`;

    const dry = await runScript(
      ["scripts/notifications.ts", "resume", "--drop-older-than", "2h", "--dry-run"],
      dbEnv,
    );
    expect(dry.code, dry.out).toBe(0);
    expect(dry.stdout).toContain("dry run, nothing changed");
    expect(dry.stdout).toContain("2 events that waited longer than 2h would be dropped");
    expect(dry.stdout).toContain("1 events would go out");
    expect(await db.sql`SELECT paused_at IS NOT NULL AS paused FROM telegram.controls`).toEqual([
      { paused: true },
    ]);
    expect(await db.sql`SELECT count(*)::int AS n FROM telegram.recorded_events`).toEqual([
      { n: 3 },
    ]);
    expect(await rowsOf(db.sql, ["old1.bin", "old2.bin", "new.bin"])).toEqual([]);
    // The SQL's own dry run says the same and changes nothing either.
    const [sqlDry] = await db.sql`
      SELECT * FROM telegram.resume_notifications('2 hours', dry_run => true)`;
    expect(sqlDry).toMatchObject({ resumed: false, dropped: 2, waiting: 1 });
    expect(await db.sql`SELECT count(*)::int AS n FROM telegram.recorded_events`).toEqual([
      { n: 3 },
    ]);
    // A notifier's claim while paused takes the events into the outbox and leases none.
    const claimed = await db.sql`
      SELECT skipped_reason FROM telegram.claim_batch('probe', 10, 10, 30, 100)`;
    expect(claimed).toEqual([]);
    expect(
      (await rowsOf(db.sql, ["old1.bin", "old2.bin", "new.bin"])).map((r) => r.attempts),
    ).toEqual([0, 0, 0]);

    const [done] = await db.sql`SELECT * FROM telegram.resume_notifications('2 hours')`;
    expect(done).toMatchObject({ resumed: true, dropped: 2, waiting: 1 });
    expect(
      (await rowsOf(db.sql, ["old1.bin", "old2.bin", "new.bin"])).map((r) => [
        r.label,
        r.status,
        r.last_error,
      ]),
    ).toEqual([
      ["old1.bin", "skipped", "dropped on resume (waited longer than 02:00:00)"],
      ["old2.bin", "skipped", "dropped on resume (waited longer than 02:00:00)"],
      ["new.bin", "pending", null],
    ]);
    const audit = await db.sql`
      SELECT detail FROM telegram.control_audit ORDER BY id DESC LIMIT 2`;
    expect(audit.map((a) => a.detail)).toEqual([
      "resumed; dropped 2 events that waited longer than 02:00:00",
      "paused: maintenance",
    ]);
    const again = await runScript(["scripts/notifications.ts", "resume"], dbEnv);
    expect(again.stdout).toContain("notifications are not paused: nothing to resume");
  }, 120_000);

  it("a batch already claimed when the pause comes stops at its next message", async () => {
    const { db, telegram } = fixtures;
    await db.sql`UPDATE telegram.outbox SET status = 'skipped' WHERE status = 'pending'`;
    const env = serviceEnv(db, telegram);
    const cipher = ChatIdCipher.fromBase64(env.TELEGRAM_CHAT_ID_KEY ?? "");
    const customer = await website(db.sql).createUser({ chatId: cipher.encrypt(7203) });
    const service = await startServiceProcess(env);
    // Telegram holds the first message: the batch of three is in flight.
    const release = telegram.holdNext(1, { chatId: 7203 });
    const files = ["h1.bin", "h2.bin", "h3.bin"];
    await db.sql.begin(async (tx) => {
      const shop = website(tx as unknown as typeof db.sql);
      for (const file of files) await shop.uploadFile(customer, file);
    });
    await until(async () => (await rowsOf(db.sql, files)).every((r) => r.locked_by !== null), {
      ...PATIENCE,
      what: "the three rows claimed together",
    });
    await until(() => telegram.arrivals.some((a) => a.chatId === 7203), {
      ...PATIENCE,
      what: "the first message at Telegram",
    });
    await db.sql`SELECT telegram.pause_notifications('incident')`;
    await untilServiceSeesPause(service.port);
    release();
    // The held message goes; the two after it go back to the outbox unsent.
    const settled = await until(
      async () => {
        const rows = await rowsOf(db.sql, files);
        return rows.every((r) => r.locked_by === null) && rows;
      },
      { ...PATIENCE, what: "the batch settled" },
    );
    expect(settled.map((r) => r.status)).toEqual(["sent", "pending", "pending"]);
    expect(telegram.sent(7203)).toHaveLength(1);

    await db.sql`SELECT telegram.resume_notifications()`;
    const sent = await telegram.waitForMessages(3, { chatId: 7203, timeoutMs: 60_000 });
    expect(sent.map((m) => /h\d\.bin/.exec(m.text)?.[0])).toEqual(files);
  }, 240_000);
});
