import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import type { Notifier } from "../src/notifier/notifier.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher, startNotifier } from "./support/notifier-harness.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
let telegram: BotApiDouble;
beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start();
});
afterAll(async () => {
  await telegram.close();
  await db.drop();
});

/** The most arrivals (performance.now() times) in any window [t, t + 1000 ms). */
function busiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && (sorted[j] ?? 0) < (sorted[i] ?? 0) + 1000) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

/** `count` linked customers, one upload each (an event each), chats from `firstChat` on. */
async function uploadsOfNewCustomers(count: number, firstChat: number): Promise<number[]> {
  const site = website(db.sql);
  const chats: number[] = [];
  for (let i = 0; i < count; i++) {
    const chat = firstChat + i;
    chats.push(chat);
    await site.uploadFile(await site.createUser({ chatId: cipher.encrypt(chat) }));
  }
  return chats;
}

/** Runs `notifier` until each of `chats` got a message, then stops it. */
async function runUntilEachGotOne(notifier: Notifier, chats: number[]): Promise<void> {
  await notifier.start();
  try {
    for (const chat of chats)
      await telegram.waitForMessages(1, { chatId: chat, timeoutMs: 30_000 });
  } finally {
    await notifier.stop();
  }
}

describe("NOTIFY_MAX_PER_SECOND", () => {
  it("a backlog of 15 messages to 15 customers under a cap of 3/s: no second of arrivals at Telegram holds more than the cap", async () => {
    const cap = 3;
    const chats = await uploadsOfNewCustomers(15, 64_000);
    // Eight sends may be in flight at once: only the cap can hold them back.
    const { notifier } = startNotifier(db, telegram, { maxPerSecond: cap, concurrency: 8 });
    await runUntilEachGotOne(notifier, chats);
    const arrivals = telegram.arrivals.filter((a) => a.method === "sendMessage");
    expect(arrivals).toHaveLength(15);
    // The limiter lets a send go every 1000/cap ms; each then reaches the double after a
    // lag (HTTP on loopback, a busy event loop) that varies from send to send, so two
    // arrivals may be closer than the limiter's spacing. One arrival over the cap is
    // allowed for that: it takes a lag difference of a whole spacing (333 ms) to exceed
    // it, while an ignored cap puts all 15 in the same second.
    expect(busiestSecond(arrivals.map((a) => a.at))).toBeLessThanOrEqual(cap + 1);
  });

  it("a backlog of 40 under a cap of 10/s, 20 rows a claim: the next claim leases its rows only near the end of the batch before, never a whole batch ahead", async () => {
    const chats = await uploadsOfNewCustomers(40, 65_000);
    // 10 messages a second, 4 s leases: 20 rows a claim (half a lease of sends), 2 s each.
    const { notifier } = startNotifier(db, telegram, { maxPerSecond: 10, leaseSeconds: 4 });
    // What a DBA sees leased and not yet sent, sampled while the backlog drains.
    let mostLeased = 0;
    let draining = true;
    const watching = (async () => {
      while (draining) {
        const [{ n }] = await db.sql<[{ n: number }]>`
          SELECT count(*)::int AS n FROM telegram.outbox
           WHERE status = 'pending' AND locked_until > now()`;
        mostLeased = Math.max(mostLeased, n);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await notifier.start();
    try {
      for (const chat of chats)
        await telegram.waitForMessages(1, { chatId: chat, timeoutMs: 30_000 });
    } finally {
      draining = false;
      await watching;
      await notifier.stop();
    }
    for (const chat of chats) expect(telegram.sent(chat)).toHaveLength(1);
    // The next claim starts twice a claim's time before the batch's last send: by then
    // at most a few of the batch's 20 rows wait. A claim made as the batch starts would
    // lease all 40 at once, and the second 20 would wait 2 s of their 4 s lease unsent.
    expect(mostLeased).toBeGreaterThan(0);
    expect(mostLeased).toBeLessThan(30);
  });

  it("stopped while it sends a capped backlog: it claims nothing after stop() was called, and the rows it held go back", async () => {
    const chats = await uploadsOfNewCustomers(30, 66_000);
    const { notifier } = startNotifier(db, telegram, { maxPerSecond: 10, leaseSeconds: 4 });
    await notifier.start();
    await telegram.waitForMessages(1, { chatId: chats[0], timeoutMs: 30_000 });
    const stopping = Date.now();
    await notifier.stop();
    // health().lastDrainAt is when the last claim came back (the status page shows it).
    expect(notifier.health().lastDrainAt?.getTime()).toBeLessThanOrEqual(stopping);
    const [{ held }] = await db.sql<[{ held: number }]>`
      SELECT count(*)::int AS held FROM telegram.outbox
       WHERE status = 'pending' AND locked_by IS NOT NULL`;
    expect(held).toBe(0);
  });

  it("a backlog of 24 under a cap of 30/s: every message recorded sent once, several to a transaction, not one commit per message", async () => {
    // The test before leaves rows unsent: only this test's count.
    const [{ last }] = await db.sql<[{ last: string }]>`
      SELECT coalesce(max(id), 0)::text AS last FROM telegram.outbox`;
    const chats = await uploadsOfNewCustomers(24, 67_000);
    const { notifier } = startNotifier(db, telegram, { maxPerSecond: 30 });
    await runUntilEachGotOne(notifier, chats);
    // Rows updated by one transaction share its xmin: what a DBA sees of the commits.
    const [{ sent, commits }] = await db.sql<[{ sent: number; commits: number }]>`
      SELECT count(*)::int AS sent, count(DISTINCT o.xmin::text)::int AS commits
        FROM telegram.outbox o
       WHERE o.status = 'sent' AND o.id > ${last}::bigint`;
    expect(sent).toBe(24);
    // One commit per message was 24; a tenth of a second gathers about 3 at 30/s. Two
    // thirds of the messages still holds at 15 sends a second, half the cap.
    expect(commits).toBeLessThanOrEqual(16);
    const arrivals = telegram.arrivals.filter(
      (a) => a.method === "sendMessage" && chats.includes(a.chatId),
    );
    expect(arrivals).toHaveLength(24);
  });
});
