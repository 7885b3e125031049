import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatIdCipher } from "../src/chat-id.ts";
import { startEmbeddedPostgres } from "../src/db/embedded.ts";
import { loadWebsiteSchema, runMigrations } from "../src/db/migrations.ts";
import { BotApiDouble } from "./support/bot-api-double.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher, startNotifier } from "./support/notifier-harness.ts";
import { until } from "./support/wait.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

async function sentCount(sql: postgres.Sql, userIds: string[]): Promise<number> {
  const [row] = await sql<[{ n: number }]>`
    SELECT count(*)::int AS n FROM telegram.outbox WHERE status = 'sent' AND user_id = ANY(${userIds})`;
  return row?.n ?? 0;
}

describe("Telegram failing", () => {
  it("502 for 10 s, then a burst of 429: everything delivered afterwards, no request before retry_after elapsed", async () => {
    const telegram = await BotApiDouble.start();
    const { notifier } = startNotifier(db, telegram, { concurrency: 4 });
    const site = website(db.sql);
    const customers: Array<{ chat: number; userId: string }> = [];
    for (let i = 0; i < 10; i++) {
      const chat = 70_000 + i;
      customers.push({ chat, userId: await site.createUser({ chatId: cipher.encrypt(chat) }) });
    }
    telegram.failFor(10_000, { kind: "badGateway" });
    await notifier.start();
    for (const c of customers) await site.uploadFile(c.userId);
    await new Promise((r) => setTimeout(r, 10_000));
    telegram.failNext(3, { kind: "tooManyRequests", retryAfter: 2 });
    for (const c of customers) await site.uploadFile(c.userId, "second.bin");
    const ids = customers.map((c) => c.userId);
    await until(async () => (await sentCount(db.sql, ids)) === 20, { timeoutMs: 60_000 });
    await notifier.stop();
    await telegram.close();
    for (const c of customers) expect(telegram.sent(c.chat)).toHaveLength(2);
    const sends = telegram.requests.filter((r) => r.method === "sendMessage");
    const throttled = sends.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(sends.filter((r) => r.status === 502).length).toBeGreaterThan(0);
    for (const t of throttled) {
      // Requests already on the wire when the 429 went out may land just after it.
      const early = sends.filter((r) => r.at > t.at + 50 && r.at < t.at + 2_000);
      expect(early).toEqual([]);
    }
  }, 90_000);
});

describe("crashes", () => {
  it("SIGKILL in the middle of 5,000 events, then a restart: none lost, duplicates at most the sends not yet recorded", async () => {
    const key = randomBytes(32).toString("base64");
    const keyed = ChatIdCipher.fromBase64(key);
    const telegram = await BotApiDouble.start();
    const site = website(db.sql);
    const customers: Array<{ chat: number; userId: string; fileId: string }> = [];
    for (let i = 0; i < 50; i++) {
      const chat = 80_000 + i;
      const userId = await site.createUser({ chatId: keyed.encrypt(chat) });
      customers.push({ chat, userId, fileId: await site.uploadFile(userId, `f${i}.bin`) });
    }
    for (let step = 1; step < 100; step++) {
      await db.sql`
        UPDATE tuning_files SET "adminNotes" = ${`step ${step}`}, "updatedAt" = now()
         WHERE id = ANY(${customers.map((c) => c.fileId)})`;
    }
    const spawnNotifier = (): ChildProcess =>
      spawn(process.execPath, ["--import", "tsx", "test/support/notifier-child.ts"], {
        env: {
          ...process.env,
          DATABASE_URL: db.url,
          TELEGRAM_API_ROOT: telegram.url,
          TELEGRAM_CUSTOMER_BOT_TOKEN: telegram.token,
          TELEGRAM_CHAT_ID_KEY: key,
        },
        stdio: "ignore",
      });
    const first = spawnNotifier();
    await until(() => telegram.sent().length >= 1_000, { timeoutMs: 60_000 });
    first.kill("SIGKILL");
    const atKill = telegram.sent().length;
    const second = spawnNotifier();
    const ids = customers.map((c) => c.userId);
    await until(async () => (await sentCount(db.sql, ids)) === 5_000, { timeoutMs: 120_000 });
    second.kill("SIGKILL");
    const texts = telegram.sent().map((m) => `${m.chat_id}|${m.text}`);
    const duplicates = texts.length - new Set(texts).size;
    console.log(
      `SIGKILL after ${atKill} messages: ${texts.length} sent for 5,000 events, ${duplicates} duplicate(s)`,
    );
    expect(new Set(texts).size).toBe(5_000);
    // Sent rows are recorded 32 at a time (or 5 ms after the first): what a SIGKILL can
    // send twice is one chunk being filled, one being written and the 8 sends in flight.
    expect(duplicates).toBeLessThanOrEqual(2 * 32 + 8);
    for (const c of customers) {
      const steps = telegram
        .sent(c.chat)
        .map((m) => /step (\d+)/.exec(m.text)?.[1])
        .filter(Boolean)
        .map(Number);
      const firstSeen = steps.filter((s, i) => steps.indexOf(s) === i);
      expect(firstSeen).toEqual([...firstSeen].sort((a, b) => a - b));
    }
    await telegram.close();
  }, 180_000);

  it("connections terminated and the PostgreSQL server restarted while events keep arriving: all delivered", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "compucar-restart-"));
    let server = await startEmbeddedPostgres({ dir: path.join(dir, "data") });
    const port = server.port;
    await loadWebsiteSchema(server.url);
    await runMigrations(server.url);
    const sql = postgres(server.url, { max: 4, onnotice: () => {} });
    const telegram = await BotApiDouble.start();
    const { notifier, events } = startNotifier(
      { url: server.url, sql } as unknown as TestDatabase,
      telegram,
      {},
    );
    await notifier.start();
    const site = website(sql);
    const chat = 90_000;
    const userId = await site.createUser({ chatId: cipher.encrypt(chat) });
    const fileId = await site.uploadFile(userId);
    let committed = 1;
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) {
        try {
          await site.commentOnFile(fileId, `comment ${++n}`);
          committed++;
        } catch {
          // The website's write failed while the server was down; it is not an event.
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 1_000));
    await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database()`;
    await new Promise((r) => setTimeout(r, 1_500));
    await server.stop();
    await new Promise((r) => setTimeout(r, 1_000));
    server = await startEmbeddedPostgres({ dir: path.join(dir, "data"), port });
    await new Promise((r) => setTimeout(r, 2_000));
    writing = false;
    await writer;
    await until(
      async () => {
        const [row] = await sql<
          [{ n: number }]
        >`SELECT count(*)::int AS n FROM telegram.outbox WHERE status = 'sent'`;
        return (row?.n ?? 0) >= committed;
      },
      { timeoutMs: 60_000 },
    );
    expect(telegram.sent(chat).length).toBeGreaterThanOrEqual(committed);
    expect(notifier.health().listening).toBe(true);
    expect(events.some((e) => e.type === "listener" && e.state === "reconnecting")).toBe(true);
    await notifier.stop();
    await sql.end({ timeout: 1 });
    await telegram.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }, 120_000);
});
