import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { LOCK_CLASS, RING_LOCK_IDS } from "../src/db/locks.ts";
import { createLogger } from "../src/log.ts";
import type { Notifier } from "../src/notifier/notifier.ts";
import { visible } from "./support/chat.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher, claimedTwiceAfter, startNotifier } from "./support/notifier-harness.ts";
import { until } from "./support/wait.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
let telegram: BotApiDouble;
let site: ReturnType<typeof website>;
const running: Notifier[] = [];
let nextChat = 1000;

beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start();
  site = website(db.sql);
});
afterEach(async () => {
  for (const n of running.splice(0)) await n.stop();
  telegram.clearFaults();
});
afterAll(async () => {
  await telegram.close();
  await db.drop();
});

function run(overrides = {}) {
  const started = startNotifier(db, telegram, overrides);
  running.push(started.notifier);
  return started;
}

async function customer(language = "en", fields: Record<string, string> = {}) {
  const chat = nextChat++;
  const userId = await site.createUser({
    chatId: cipher.encrypt(chat),
    language,
    firstName: "Karim",
    ...fields,
  });
  return { chat, userId };
}

describe("the website's writes reach the customer's chat, as the guide shows", () => {
  it("upload, status with estimate, modified file, comment, payment, order steps — in English", async () => {
    const { notifier } = run();
    await notifier.start();
    const { chat, userId } = await customer("en");
    const fileId = await site.uploadFile(userId, "stage1_golf_tdi.bin");
    await telegram.waitForMessages(1, { chatId: chat });
    await site.changeFileStatus(fileId, "PENDING", 30);
    await telegram.waitForMessages(2, { chatId: chat });
    await site.uploadModifiedFile(fileId);
    await telegram.waitForMessages(3, { chatId: chat });
    await site.commentOnFile(fileId, "Stage 1 done, please do a test drive.");
    await telegram.waitForMessages(4, { chatId: chat });
    await site.markFilePaid(fileId);
    await telegram.waitForMessages(5, { chatId: chat });
    const orderId = await site.placeOrder(userId, "CC-2001");
    await site.setOrderStatus(orderId, "CONFIRMED");
    await telegram.waitForMessages(6, { chatId: chat });
    await site.shipOrder(orderId, "YAL-123456");
    await telegram.waitForMessages(7, { chatId: chat });
    const paymentId = await site.createPayment(orderId);
    await site.setPaymentStatus(paymentId, "SUCCEEDED");
    const all = await telegram.waitForMessages(8, { chatId: chat });
    const texts = all.map((m) => visible(m.text));
    expect(texts[0]).toContain("📥 File received");
    expect(texts[0]).toContain("📄 File: stage1_golf_tdi.bin");
    expect(texts[1]).toContain("⏳ Processing started");
    expect(texts[1]).toContain("📊 Status: PENDING");
    expect(texts[1]).toContain("💬 Update: Your file is currently being processed by our team.");
    expect(texts[1]).toContain("⏰ Estimated time: 30 minutes");
    expect(texts[1]).toMatch(/🕐 Updated: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(texts[2]).toContain("✅ File ready for download");
    expect(texts[3]).toContain("💬 New comment from our team");
    expect(texts[3]).toContain("Stage 1 done, please do a test drive.");
    expect(texts[4]).toContain("💳 Payment received");
    expect(texts[5]).toContain("🛒 Order update");
    expect(texts[5]).toContain("🧾 Order: CC-2001");
    expect(texts[5]).toContain("📊 Status: CONFIRMED");
    expect(texts[6]).toContain("📊 Status: SHIPPED");
    expect(texts[6]).toContain("🚚 Tracking number: YAL-123456");
    expect(texts[7]).toContain("💳 Payment received");
    expect(all[0]?.reply_markup?.inline_keyboard?.[0]?.[0]?.url).toBe(
      `https://compucar.pro/files/${fileId}`,
    );
    expect(all[5]?.reply_markup?.inline_keyboard?.[0]?.[0]?.url).toBe(
      `https://compucar.pro/account/orders/${orderId}`,
    );
    for (const text of texts) expect(text).not.toMatch(/@example\.com|12500|DZD/);
    const [row] =
      await db.sql`SELECT status, sent_at, telegram_message_id FROM telegram.outbox WHERE subject_id = ${fileId} ORDER BY id LIMIT 1`;
    expect(row?.status).toBe("sent");
    expect(Number(row?.telegram_message_id)).toBe(all[0]?.message_id);
  });

  it("in French and in Arabic, with the customer's time zone", async () => {
    const { notifier } = run();
    await notifier.start();
    const fr = await customer("fr", { timezone: "Europe/Paris" });
    const ar = await customer("ar", { timezone: "Africa/Algiers" });
    await site.changeFileStatus(await site.uploadFile(fr.userId, "clio.bin"), "PENDING", 15);
    await site.changeFileStatus(await site.uploadFile(ar.userId, "golf.bin"), "READY");
    const frText = (await telegram.waitForMessages(2, { chatId: fr.chat })).map((m) =>
      visible(m.text),
    );
    const arText = (await telegram.waitForMessages(2, { chatId: ar.chat })).map((m) =>
      visible(m.text),
    );
    expect(frText[0]).toContain("📥 Fichier reçu");
    expect(frText[1]).toContain("⏳ Traitement commencé");
    expect(frText[1]).toContain("⏰ Délai estimé\u00a0: 15 minutes");
    expect(arText[0]).toContain("📥 تم استلام الملف");
    expect(arText[1]).toContain("✅ الملف جاهز للتحميل");
  });

  it("a hostile filename and a 5,000-character comment arrive readable and accepted by Telegram's HTML rules", async () => {
    const { notifier } = run();
    await notifier.start();
    const { chat, userId } = await customer();
    const name = `<b>x</b> & "y" دليل.bin`;
    const fileId = await site.uploadFile(userId, name);
    await site.commentOnFile(fileId, `Note <script> & more: ${"word ".repeat(1000)}`);
    const [upload, comment] = await telegram.waitForMessages(2, { chatId: chat });
    expect(visible(upload?.text ?? "")).toContain(`📄 File: ${name}`);
    const text = visible(comment?.text ?? "");
    expect(text).toContain("Note <script> & more:");
    expect(text).toContain("…");
    expect(text.length).toBeLessThanOrEqual(4096);
    expect(telegram.requests.filter((r) => r.status === 400)).toEqual([]);
  });

  it("unlinked, muted and blocked customers get nothing; their events are skipped with the reason", async () => {
    const { notifier } = run();
    await notifier.start();
    const unlinked = await site.createUser();
    const muted = await customer();
    const blocked = await customer();
    await db.sql`INSERT INTO telegram.chat_prefs (user_id, muted_kinds) VALUES (${muted.userId}, '{files}')`;
    await db.sql`INSERT INTO telegram.chat_prefs (user_id, blocked_at) VALUES (${blocked.userId}, now())`;
    await site.uploadFile(unlinked);
    await site.uploadFile(muted.userId);
    await site.uploadFile(blocked.userId);
    const mutedOrder = await site.placeOrder(muted.userId);
    await site.setOrderStatus(mutedOrder, "CONFIRMED");
    await telegram.waitForMessages(1, { chatId: muted.chat });
    // The message is out; its row is marked sent right after Telegram's answer.
    const rows = await until(async () => {
      const found = await db.sql`
        SELECT user_id, kind, status, last_error FROM telegram.outbox
         WHERE user_id IN (${unlinked}, ${muted.userId}, ${blocked.userId}) ORDER BY id`;
      return found.every((r) => r.status !== "pending") && found.length === 4 ? found : undefined;
    });
    expect(rows?.map((r) => [r.user_id, r.kind, r.status, r.last_error])).toEqual([
      [unlinked, "file_uploaded", "skipped", "not linked"],
      [muted.userId, "file_uploaded", "skipped", "muted"],
      [blocked.userId, "file_uploaded", "skipped", "blocked"],
      [muted.userId, "order_status", "sent", null],
    ]);
    expect(telegram.sent(blocked.chat)).toEqual([]);
  });

  it("403 blocked: the message fails, the chat is marked blocked and audited, later events are skipped", async () => {
    const { notifier, events } = run();
    await notifier.start();
    const { chat, userId } = await customer();
    telegram.failChat(chat, { kind: "blocked" });
    const fileId = await site.uploadFile(userId);
    await until(() => events.some((e) => e.type === "failed" && e.reason === "blocked"));
    await site.changeFileStatus(fileId, "PENDING");
    await until(() => events.some((e) => e.type === "skipped" && e.reason === "blocked"));
    const rows =
      await db.sql`SELECT status, last_error FROM telegram.outbox WHERE user_id = ${userId} ORDER BY id`;
    expect(rows.map((r) => [r.status, r.last_error])).toEqual([
      ["failed", "Forbidden: bot was blocked by the user"],
      ["skipped", "blocked"],
    ]);
    const audit =
      await db.sql`SELECT action, actor FROM telegram.link_audit WHERE user_id = ${userId} AND action = 'block'`;
    expect(audit).toEqual([{ action: "block", actor: "notifier" }]);
  });

  it("a chat id stored in plaintext by the old website code is still reached", async () => {
    const { notifier } = run();
    await notifier.start();
    const userId = await site.createUser({ chatId: "77777" });
    await site.uploadFile(userId);
    const [message] = await telegram.waitForMessages(1, { chatId: 77777 });
    expect(visible(message?.text ?? "")).toContain("📥 File received");
  });

  it("the kill switch claims and sends nothing and the events wait; enabled again, they are delivered", async () => {
    const { chat, userId } = await customer();
    await site.uploadFile(userId);
    const off = run({ enabled: false });
    await off.notifier.start();
    // Listening (the connection rings a drain), then asked to drain, then stopped: stop()
    // waits for a drain in progress, and a drain that claims shows it in lastDrainAt.
    await until(() => off.notifier.health().listening);
    off.notifier.drainNow();
    await off.notifier.stop();
    expect(off.notifier.health().lastDrainAt).toBeNull();
    expect(telegram.arrivals.filter((a) => a.chatId === chat)).toEqual([]);
    const [{ waiting }] = await db.sql<[{ waiting: number }]>`
      SELECT (SELECT count(*) FROM telegram.recorded_events WHERE user_id = ${userId})
           + (SELECT count(*) FROM telegram.outbox WHERE user_id = ${userId} AND status = 'pending') AS waiting`;
    expect(Number(waiting)).toBe(1);
    const on = run();
    await on.notifier.start();
    await telegram.waitForMessages(1, { chatId: chat });
  });

  it("logs each send by user id while quiet, and one summary line per batch for a backlog", async () => {
    const lines: Array<{ level: number; msg: string; sent?: number; userId?: string }> = [];
    const logger = createLogger("info", {
      pretty: false,
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    });
    const first = run({ logger });
    await first.notifier.start();
    const quiet = await customer("en", { firstName: "Quiet", lastName: "Customer" });
    await site.uploadFile(quiet.userId);
    await telegram.waitForMessages(1, { chatId: quiet.chat });
    await until(() =>
      lines.some((l) => l.msg === "✅ Telegram notification sent" && l.userId === quiet.userId),
    );
    await first.notifier.stop();

    const backlog = [];
    for (let c = 0; c < 3; c++) backlog.push(await customer("en", { firstName: "Backlog" }));
    for (const b of backlog) for (let i = 0; i < 10; i++) await site.uploadFile(b.userId);
    const second = run({ logger });
    await second.notifier.start();
    for (const b of backlog) await telegram.waitForMessages(10, { chatId: b.chat });
    const summaries = await until(() => {
      const found = lines.filter((l) => /^✅ \d+ Telegram notifications sent$/.test(l.msg));
      return found.length > 0 ? found : undefined;
    });
    expect((summaries ?? []).reduce((n, l) => n + (l.sent ?? 0), 0)).toBeGreaterThanOrEqual(30);
    expect(lines.filter((l) => l.msg.includes("Backlog"))).toEqual([]);
  });

  it("a backlog quiets the website's bell while it drains; idle, the notifier has it ring again", async () => {
    // Held while the notifier listens and is idle (telegram.notifier_set_busy(false)).
    const ringLocks = async () => {
      const [{ n }] = await db.sql<[{ n: number }]>`
        SELECT count(*)::int AS n FROM pg_locks
         WHERE locktype = 'advisory' AND classid = ${LOCK_CLASS} AND objsubid = 2
           AND objid BETWEEN ${RING_LOCK_IDS.first} AND ${RING_LOCK_IDS.last} AND granted`;
      return n;
    };
    const { notifier } = run();
    await notifier.start();
    await until(async () => (await ringLocks()) === 16);
    const one = await customer();
    await site.uploadFile(one.userId);
    await telegram.waitForMessages(1, { chatId: one.chat });
    await until(async () => (await ringLocks()) === 16);

    const many = await customer();
    // The backlog's first send is held in flight until the locks are seen given back.
    const release = telegram.holdNext(1, { chatId: many.chat });
    await db.sql.begin(async (tx) => {
      for (let i = 0; i < 30; i++)
        await website(tx as unknown as typeof db.sql).uploadFile(many.userId);
    });
    try {
      await until(async () => (await ringLocks()) === 0);
      expect(telegram.sent(many.chat)).toEqual([]);
    } finally {
      release();
    }
    await telegram.waitForMessages(30, { chatId: many.chat, timeoutMs: 30_000 });
    await until(async () => (await ringLocks()) === 16);
    await notifier.stop();
    expect(await ringLocks()).toBe(0);
  });

  it("401: the notifier stops sending and says the token is wrong", async () => {
    const { notifier } = run();
    telegram.failNext(1, { kind: "unauthorized" });
    await notifier.start();
    const { userId } = await customer();
    await site.uploadFile(userId);
    await until(() => notifier.health().fatal);
    expect(notifier.health().fatal).toContain("TELEGRAM_CUSTOMER_BOT_TOKEN");
    const [row] = await db.sql`SELECT status FROM telegram.outbox WHERE user_id = ${userId}`;
    expect(row?.status).toBe("pending");
  });
});

describe("order and loss", () => {
  it("1,000 events for 50 customers, two notifiers: each customer gets theirs in recorded order, none lost, none twice", async () => {
    const a = run({ workerId: "a" });
    const b = run({ workerId: "b" });
    await a.notifier.start();
    await b.notifier.start();
    const customers = await Promise.all(Array.from({ length: 50 }, () => customer()));
    const files = new Map<string, string>();
    for (const c of customers)
      files.set(c.userId, await site.uploadFile(c.userId, `${c.chat}-0.bin`));
    for (let i = 1; i < 20; i++) {
      for (const c of customers) {
        await db.sql`UPDATE tuning_files SET "adminNotes" = ${`step ${i}`}, "updatedAt" = now() WHERE id = ${files.get(c.userId) ?? ""}`;
      }
    }
    for (const c of customers)
      await telegram.waitForMessages(20, { chatId: c.chat, timeoutMs: 60_000 });
    for (const c of customers) {
      const got = telegram.sent(c.chat).map((m) => visible(m.text));
      expect(got).toHaveLength(20);
      expect(got[0]).toContain("📥 File received");
      for (let i = 1; i < 20; i++) expect(got[i]).toContain(`step ${i}\n`);
    }
    const counts = async () => {
      const [row] = await db.sql<[{ sent: number; other: number }]>`
        SELECT count(*) FILTER (WHERE status = 'sent')::int AS sent, count(*) FILTER (WHERE status <> 'sent')::int AS other
          FROM telegram.outbox WHERE user_id = ANY(${customers.map((c) => c.userId)})`;
      return row;
    };
    await until(async () => (await counts()).sent === 1000);
    const { sent, other } = await counts();
    expect([sent, other]).toEqual([1000, 0]);
  });

  it("a 429 pause longer than the lease: the waiting rows are given back, not sent twice when a second notifier takes them", async () => {
    const customers = await Promise.all(Array.from({ length: 30 }, () => customer()));
    for (const c of customers) await site.uploadFile(c.userId, `${c.chat}-paused.bin`);
    telegram.failNext(1, { kind: "tooManyRequests", retryAfter: 3 });
    const a = run({ workerId: "a", leaseSeconds: 2, concurrency: 2 });
    await a.notifier.start();
    // The second notifier joins once the first has claimed the queue and been told to wait.
    await until(() => telegram.stats().byStatus[429] === 1);
    const toldToWaitAt = Date.now();
    const b = run({ workerId: "b", leaseSeconds: 2, concurrency: 2 });
    await b.notifier.start();
    for (const c of customers)
      await telegram.waitForMessages(1, { chatId: c.chat, timeoutMs: 20_000 });
    // The first notifier claims nothing while paused; two claims after its pause, any row
    // it kept through the pause has gone out again.
    await claimedTwiceAfter(a.notifier, toldToWaitAt + 3_000);
    expect(customers.filter((c) => telegram.sent(c.chat).length !== 1).map((c) => c.chat)).toEqual(
      [],
    );
  });

  it("under a send cap, a claim is sent before its lease runs out: 30 queued events, two notifiers at 10/s with a 2 s lease, each message once", async () => {
    const customers = await Promise.all(Array.from({ length: 30 }, () => customer()));
    for (const c of customers) await site.uploadFile(c.userId, `${c.chat}-capped.bin`);
    const a = run({ workerId: "a", maxPerSecond: 10, leaseSeconds: 2 });
    const b = run({ workerId: "b", maxPerSecond: 10, leaseSeconds: 2 });
    await a.notifier.start();
    await b.notifier.start();
    for (const c of customers)
      await telegram.waitForMessages(1, { chatId: c.chat, timeoutMs: 15_000 });
    await until(async () => {
      const [{ n }] = await db.sql<[{ n: number }]>`
        SELECT count(*)::int AS n FROM telegram.outbox
         WHERE status = 'sent' AND user_id = ANY(${customers.map((c) => c.userId)})`;
      return n === 30;
    });
    // Every row is sent: two claims later, neither notifier holds one it could send again.
    const allSentAt = Date.now();
    await claimedTwiceAfter(a.notifier, allSentAt);
    await claimedTwiceAfter(b.notifier, allSentAt);
    expect(customers.filter((c) => telegram.sent(c.chat).length !== 1).map((c) => c.chat)).toEqual(
      [],
    );
  });
});
