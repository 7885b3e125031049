import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import type { Notifier } from "../src/notifier/notifier.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher, claimedTwiceAfter, startNotifier } from "./support/notifier-harness.ts";
import { until } from "./support/wait.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
let telegram: BotApiDouble;
let site: ReturnType<typeof website>;
const running: Notifier[] = [];
let nextChat = 63_000;
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

async function customer() {
  const chat = nextChat++;
  return { chat, userId: await site.createUser({ chatId: cipher.encrypt(chat) }) };
}

async function outbox(userId: string) {
  return db.sql<Array<{ label: string; status: string; attempts: number; last_error: string }>>`
    SELECT label, status, attempts, last_error FROM telegram.outbox WHERE user_id = ${userId} ORDER BY id`;
}

const sendsTo = (chat: number) =>
  telegram.arrivals.filter((a) => a.method === "sendMessage" && a.chatId === chat);

describe("failures that are not retried", () => {
  it("a 400 fails the message with Telegram's reason, once, and the customer's next message still goes", async () => {
    const { chat, userId } = await customer();
    await site.uploadFile(userId, "refused.bin");
    await site.uploadFile(userId, "next.bin");
    const reason = `can't parse entities: Unsupported start tag "x" at byte offset 3`;
    telegram.failNext(1, { kind: "badRequest", description: reason }, { chatId: chat });
    const started = startNotifier(db, telegram);
    running.push(started.notifier);
    await started.notifier.start();
    const [next] = await telegram.waitForMessages(1, { chatId: chat });
    expect(next?.text).toContain("next.bin");
    await until(async () => (await outbox(userId)).every((r) => r.status !== "pending"));
    // Any retry of the refused message would have been claimed and sent by now.
    await claimedTwiceAfter(started.notifier, Date.now());
    expect(
      (await outbox(userId)).map((r) => [r.label, r.status, r.attempts, r.last_error]),
    ).toEqual([
      ["refused.bin", "failed", 1, `Bad Request: ${reason}`],
      ["next.bin", "sent", 1, null],
    ]);
    expect(sendsTo(chat).map((a) => String(a.body.text).includes("refused.bin"))).toEqual([
      true,
      false,
    ]);
    expect(started.events.filter((e) => e.type === "failed")).toEqual([
      { type: "failed", kind: "file_uploaded", reason: "bad request" },
    ]);
  });

  it("a 5xx or a network error on an event over 24 h old gives up with the reason; a fresh one is retried", async () => {
    const server = await customer();
    const network = await customer();
    const fresh = await customer();
    for (const c of [server, network, fresh]) await site.uploadFile(c.userId, "late.bin");
    // Recorded a day and an hour ago (the notifier was down): the default maxAgeMs is 24 h.
    await db.sql`
      UPDATE telegram.intake SET e.recorded_at = now() - interval '25 hours'
       WHERE (e).user_id IN (${server.userId}, ${network.userId})`;
    telegram.failChat(server.chat, { kind: "serverError" });
    telegram.failChat(network.chat, { kind: "drop" });
    telegram.failChat(fresh.chat, { kind: "serverError" });
    const started = startNotifier(db, telegram);
    running.push(started.notifier);
    await started.notifier.start();
    // The fresh event is tried again (after its backoff): the old ones had their chance too.
    await until(() => sendsTo(fresh.chat).length >= 2);
    await until(async () => (await outbox(network.userId))[0]?.status === "failed");
    await claimedTwiceAfter(started.notifier, Date.now());
    const state = async (userId: string) =>
      (await outbox(userId)).map((r) => [r.status, r.attempts, r.last_error]);
    expect(await state(server.userId)).toEqual([
      ["failed", 1, "gave up after 1 attempts: 500 Internal Server Error"],
    ]);
    expect(await state(network.userId)).toEqual([
      ["failed", 1, "gave up after 1 attempts: network error"],
    ]);
    expect(sendsTo(server.chat)).toHaveLength(1);
    expect(sendsTo(network.chat)).toHaveLength(1);
    const [retried] = await outbox(fresh.userId);
    expect([retried?.status, retried?.last_error]).toEqual([
      "pending",
      "500 Internal Server Error",
    ]);
    expect(started.events.filter((e) => e.type === "failed")).toEqual([
      { type: "failed", kind: "file_uploaded", reason: "too old" },
      { type: "failed", kind: "file_uploaded", reason: "too old" },
    ]);
  });
});
