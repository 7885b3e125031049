import pg from "pg";
import type postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { LOCK_CLASS, RING_LOCK_IDS } from "../src/db/locks.ts";
import type { Notifier } from "../src/notifier/notifier.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher, startNotifier } from "./support/notifier-harness.ts";
import { openTransaction } from "./support/open-transaction.ts";
import { until } from "./support/wait.ts";
import { website } from "./support/website.ts";

// The slow timer is out of the way: what is delivered here was woken by the start, a
// NOTIFY, or the notifier taking its ring locks, never by the timer.
const NO_SLOW_TIMER = { slowTimerMs: 600_000 };

let db: TestDatabase;
let telegram: BotApiDouble;
let site: ReturnType<typeof website>;
let listener: pg.Client;
const rings: string[] = [];
const running: Notifier[] = [];
let nextChat = 5000;

beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start();
  site = website(db.sql);
  // The test's own LISTEN: it hears every NOTIFY the website's writes send.
  listener = new pg.Client({ connectionString: db.url });
  await listener.connect();
  listener.on("notification", (n) => rings.push(n.channel));
  await listener.query("LISTEN telegram_outbox");
});
afterEach(async () => {
  for (const n of running.splice(0)) await n.stop();
});
afterAll(async () => {
  await listener.end();
  await telegram.close();
  await db.drop();
});

function run() {
  const started = startNotifier(db, telegram, NO_SLOW_TIMER);
  running.push(started.notifier);
  return started.notifier;
}

async function customer() {
  const chat = nextChat++;
  const userId = await site.createUser({ chatId: cipher.encrypt(chat) });
  return { chat, userId };
}

/** Every NOTIFY committed so far has reached the test's listener (a round trip on it). */
async function heardSoFar(): Promise<string[]> {
  await listener.query("SELECT 1");
  return [...rings];
}

/** How many of the ring locks are held: 16 while a notifier listens and is idle. */
async function ringLocks(): Promise<number> {
  const [{ n }] = await db.sql<[{ n: number }]>`
    SELECT count(*)::int AS n FROM pg_locks
     WHERE locktype = 'advisory' AND classid = ${LOCK_CLASS} AND objsubid = 2
       AND objid BETWEEN ${RING_LOCK_IDS.first} AND ${RING_LOCK_IDS.last} AND granted`;
  return n;
}

/** The notifier's doorbell connection waits for an advisory lock (taking its ring locks). */
async function armingWaits(): Promise<boolean> {
  const [row] = await db.sql`
    SELECT wait_event FROM pg_stat_activity
     WHERE datname = current_database() AND application_name = 'compucar-customer-bot doorbell'
       AND wait_event_type = 'Lock'`;
  return row?.wait_event === "advisory";
}

describe("the doorbell rings only while a notifier listens and is idle", () => {
  it("notifier down: the website's writes send no NOTIFY; the notifier, once started, delivers them all", async () => {
    const customers = [await customer(), await customer(), await customer()];
    rings.length = 0;
    for (const c of customers) {
      const fileId = await site.uploadFile(c.userId);
      await site.changeFileStatus(fileId, "PENDING", 30);
    }
    const [{ recorded }] = await db.sql<[{ recorded: number }]>`
      SELECT count(*)::int AS recorded FROM telegram.recorded_events
       WHERE user_id = ANY (${customers.map((c) => c.userId)})`;
    expect(recorded).toBe(6);
    expect(await heardSoFar()).toEqual([]);

    const notifier = run();
    await notifier.start();
    for (const c of customers) await telegram.waitForMessages(2, { chatId: c.chat });

    // Now it listens and is idle: the next write rings, and that ring brings the message.
    await until(async () => (await ringLocks()) === RING_LOCK_IDS.last - RING_LOCK_IDS.first + 1, {
      what: "the notifier taking its ring locks",
    });
    const next = await customer();
    await site.uploadFile(next.userId);
    expect(await heardSoFar()).toEqual(["telegram_outbox"]);
    await telegram.waitForMessages(1, { chatId: next.chat });
  });

  it("stopped again: its locks go with it and the writes are silent once more", async () => {
    const notifier = run();
    await notifier.start();
    await until(async () => (await ringLocks()) === 16, { what: "the ring locks taken" });
    await notifier.stop();
    expect(await ringLocks()).toBe(0);
    const c = await customer();
    rings.length = 0;
    await site.uploadFile(c.userId);
    expect(await heardSoFar()).toEqual([]);
  });

  it("a lone event keeps the ring locks; a second ring while it is answered gives them back, then the bell rings again", async () => {
    const notifier = run();
    await notifier.start();
    await until(async () => (await ringLocks()) === 16, { what: "the ring locks taken" });
    const c = await customer();
    const release = telegram.holdNext(1, { chatId: c.chat });
    rings.length = 0;
    await site.uploadFile(c.userId);
    await until(() => telegram.arrivals.some((r) => r.chatId === c.chat), {
      what: "the first send in flight",
    });
    // Only a ring during a drain gives the locks back: the lone event's drain keeps them.
    expect(await ringLocks()).toBe(16);
    await site.uploadFile(c.userId);
    expect(await heardSoFar()).toEqual(["telegram_outbox", "telegram_outbox"]);
    await until(async () => (await ringLocks()) === 0, { what: "the ring locks given back" });
    await site.uploadFile(c.userId);
    expect(await heardSoFar()).toEqual(["telegram_outbox", "telegram_outbox"]);
    release();
    await telegram.waitForMessages(3, { chatId: c.chat });
    await until(async () => (await ringLocks()) === 16, { what: "the ring locks taken again" });
    await site.uploadFile(c.userId);
    expect(await heardSoFar()).toEqual(["telegram_outbox", "telegram_outbox", "telegram_outbox"]);
    await telegram.waitForMessages(4, { chatId: c.chat });
  });

  it("a customer's events beyond one claim's share are delivered without the slow timer", async () => {
    const { notifier } = startNotifier(db, telegram, { ...NO_SLOW_TIMER, perCustomer: 3 });
    running.push(notifier);
    await notifier.start();
    await until(async () => (await ringLocks()) === 16, { what: "the ring locks taken" });
    // Five events in one transaction ring once; a claim leases three of them.
    const c = await customer();
    rings.length = 0;
    await db.sql.begin(async (tx) => {
      for (let i = 0; i < 5; i++) await website(tx as unknown as postgres.Sql).uploadFile(c.userId);
    });
    await telegram.waitForMessages(5, { chatId: c.chat, timeoutMs: 30_000 });
    expect(await heardSoFar()).toEqual(["telegram_outbox"]);
  });

  it("a blocked customer's later events, given back by the drain, are settled without the slow timer", async () => {
    const notifier = run();
    await notifier.start();
    await until(async () => (await ringLocks()) === 16, { what: "the ring locks taken" });
    const c = await customer();
    telegram.failChat(c.chat, { kind: "blocked" });
    await db.sql.begin(async (tx) => {
      for (let i = 0; i < 3; i++) await website(tx as unknown as postgres.Sql).uploadFile(c.userId);
    });
    const settled = async () => {
      const rows = await db.sql<Array<{ status: string }>>`
        SELECT status FROM telegram.outbox WHERE user_id = ${c.userId} ORDER BY id`;
      return rows.map((r) => r.status).join(",");
    };
    await until(async () => (await settled()) === "failed,skipped,skipped", {
      what: "the first event failed, the later ones skipped as blocked",
      timeoutMs: 30_000,
    });
  });

  it("an event written as the notifier goes from busy to idle is delivered without the slow timer", async () => {
    const notifier = run();
    await notifier.start();
    await until(async () => (await ringLocks()) === 16, { what: "the ring locks taken" });
    // A backlog in one transaction rings once; the notifier answers and stays busy while
    // the backlog's first send is held: it has given its ring locks back.
    const many = await customer();
    const late = await customer();
    const release = telegram.holdNext(1, { chatId: many.chat });
    rings.length = 0;
    await db.sql.begin(async (tx) => {
      for (let i = 0; i < 30; i++)
        await website(tx as unknown as postgres.Sql).uploadFile(many.userId);
    });
    await until(() => telegram.arrivals.some((r) => r.chatId === many.chat), {
      what: "the backlog's first send in flight",
    });
    await until(async () => (await ringLocks()) === 0, { what: "the ring locks given back" });
    // A website transaction records an event now, and stays open: the bell is silent.
    const writer = await openTransaction(db.sql, (tx) => website(tx).uploadFile(late.userId));
    release();
    await telegram.waitForMessages(30, { chatId: many.chat, timeoutMs: 30_000 });
    // The drain is over; taking the ring locks waits for the open transaction.
    await until(armingWaits, {
      what: "the notifier's ring locks waiting for the open transaction",
    });
    expect(telegram.sent(late.chat)).toEqual([]);
    writer.commit();
    await writer.done;
    // Only the locks, once taken, can have woken the notifier: the event rang no bell.
    await telegram.waitForMessages(1, { chatId: late.chat, timeoutMs: 30_000 });
    expect(await heardSoFar()).toEqual(["telegram_outbox"]);
  });
});
