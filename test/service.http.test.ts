import type { Server } from "node:http";
import type { Update } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../src/db/embedded.ts";
import { type PartHealth, startHttpServer } from "../src/http.ts";
import { createLogger } from "../src/log.ts";
import { createMetrics } from "../src/metrics.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

let db: TestDatabase;
let server: Server;
let base: string;
const handled: Update[] = [];
let healthy = true;
const SECRET = "s3cret_Token-value";

beforeAll(async () => {
  db = await createTestDatabase();
  const metrics = createMetrics(db.sql);
  metrics.sent.inc({ kind: "file_status" });
  const port = await freePort();
  server = await startHttpServer({
    port,
    host: "127.0.0.1",
    logger: createLogger("silent"),
    metrics,
    health: async (): Promise<Record<string, PartHealth>> =>
      healthy
        ? { database: "ok", listener: "ok", bot: "standby" }
        : { database: "ok", listener: { error: "not listening (reconnecting)" } },
    webhook: {
      path: "/telegram/webhook",
      secret: SECRET,
      claim: async (updateId) => {
        const rows = await db.sql`
          INSERT INTO telegram.webhook_updates (update_id) VALUES (${updateId}) ON CONFLICT DO NOTHING RETURNING 1`;
        return rows.length === 1;
      },
      handle: (update) => handled.push(update),
    },
  });
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await db.drop();
});

const update = (id: number) => ({
  update_id: id,
  message: {
    message_id: 1,
    date: 0,
    chat: { id: 7, type: "private" },
    from: { id: 7, is_bot: false, first_name: "K" },
    text: "/help",
  },
});
const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/telegram/webhook`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });

describe("webhook", () => {
  it("a wrong or missing secret gets 401 and the update is not processed", async () => {
    const missing = await post(JSON.stringify(update(1)));
    const wrong = await post(JSON.stringify(update(1)), {
      "x-telegram-bot-api-secret-token": "nope",
    });
    const almost = await post(JSON.stringify(update(1)), {
      "x-telegram-bot-api-secret-token": `${SECRET}x`,
    });
    expect([missing.status, wrong.status, almost.status]).toEqual([401, 401, 401]);
    expect(handled).toEqual([]);
  });

  it("the right secret gets 200 and the update is handled; a replay of it is handled once", async () => {
    const headers = { "x-telegram-bot-api-secret-token": SECRET };
    const first = await post(JSON.stringify(update(100)), headers);
    const replay = await post(JSON.stringify(update(100)), headers);
    expect([first.status, replay.status]).toEqual([200, 200]);
    expect(handled.map((u) => u.update_id)).toEqual([100]);
  });

  it("a 10 MB body is refused with 413 and nothing is handled", async () => {
    const before = handled.length;
    const big = JSON.stringify({ ...update(101), padding: "x".repeat(10 * 1024 * 1024) });
    const res = await post(big, { "x-telegram-bot-api-secret-token": SECRET });
    expect(res.status).toBe(413);
    expect(handled.length).toBe(before);
  });

  it("bodies over 1 MiB are refused, declared or streamed; an update of exactly 1 MiB is taken", async () => {
    const headers = { "x-telegram-bot-api-secret-token": SECRET };
    const MiB = 1024 * 1024;
    const sized = (id: number, bytes: number) => {
      const body = JSON.stringify({ ...update(id), padding: "" });
      return JSON.stringify({ ...update(id), padding: "x".repeat(bytes - body.length) });
    };
    expect(Buffer.byteLength(sized(102, MiB + 1))).toBe(MiB + 1);
    expect((await post(sized(102, MiB + 1), headers)).status).toBe(413);
    // Without Content-Length (chunked): the limit holds while reading.
    const streamed = await fetch(`${base}/telegram/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: new Blob([sized(103, MiB + 1)]).stream(),
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect((await post(sized(104, MiB), headers)).status).toBe(200);
    expect(handled.map((u) => u.update_id)).toContain(104);
    expect(handled.map((u) => u.update_id)).not.toContain(102);
    expect(handled.map((u) => u.update_id)).not.toContain(103);
  });

  it("a body that is not an update gets 400", async () => {
    const headers = { "x-telegram-bot-api-secret-token": SECRET };
    expect((await post("{not json", headers)).status).toBe(400);
    expect((await post(JSON.stringify({ hello: 1 }), headers)).status).toBe(400);
  });
});

describe("/healthz and /metrics", () => {
  it("/healthz is 200 with each part when healthy, 503 naming the failed part otherwise", async () => {
    healthy = true;
    const ok = await fetch(`${base}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({
      status: "ok",
      database: "ok",
      listener: "ok",
      bot: "standby",
    });
    healthy = false;
    const bad = await fetch(`${base}/healthz`);
    expect(bad.status).toBe(503);
    expect(await bad.json()).toMatchObject({
      status: "unhealthy",
      listener: { error: "not listening (reconnecting)" },
    });
  });

  it("/metrics speaks Prometheus text with our counters and the database gauges", async () => {
    await db.sql`INSERT INTO telegram.events (source, user_id, subject_id) VALUES ('file_insert', 'u', 'f')`;
    await db.sql`SELECT telegram.ingest_events()`;
    const res = await fetch(`${base}/metrics`);
    const text = await res.text();
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(text).toContain('telegram_messages_sent_total{kind="file_status"} 1');
    expect(text).toContain("telegram_outbox_backlog 1");
    expect(text).toMatch(/telegram_outbox_oldest_pending_seconds \d/);
    expect(text).toContain("telegram_linked_customers 0");
    expect(text).toContain("process_resident_memory_bytes");
  });
});
