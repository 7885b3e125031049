import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { visible } from "./support/chat.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher, startNotifier } from "./support/notifier-harness.ts";
import { until } from "./support/wait.ts";
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

describe("a customer's messages inside one claimed batch", () => {
  it("a backlog queued while the notifier was stopped, Telegram answering at random speeds: each customer's 10 messages arrive in recorded order", async () => {
    const site = website(db.sql);
    const steps = 10; // the notifier's perCustomer default: one claim leases a whole chain
    const customers: Array<{ chat: number; userId: string }> = [];
    for (let i = 0; i < 4; i++) {
      const chat = 61_000 + i;
      customers.push({ chat, userId: await site.createUser({ chatId: cipher.encrypt(chat) }) });
    }
    const files = new Map<string, string>();
    for (const c of customers) files.set(c.userId, await site.uploadFile(c.userId, "step-0.bin"));
    // Interleaved, as a busy workshop writes them: customer rows alternate in the outbox.
    for (let step = 1; step < steps; step++) {
      for (const c of customers)
        await site.commentOnFile(files.get(c.userId) ?? "", `step ${step}`);
    }
    // Every answer takes a random 0–150 ms: a later message sent beside an earlier one of
    // the same customer overtakes it about half the time.
    const total = customers.length * steps;
    for (let i = 0; i < total; i++)
      telegram.failNext(1, { kind: "slow", ms: Math.floor(Math.random() * 150) });

    const { notifier, events } = startNotifier(db, telegram, { concurrency: 8 });
    await notifier.start();
    try {
      for (const c of customers)
        await telegram.waitForMessages(steps, { chatId: c.chat, timeoutMs: 30_000 });
      await until(() => events.filter((e) => e.type === "sent").length >= total);
    } finally {
      await notifier.stop();
    }
    // Nothing was retried or given back: the order is the batch's own doing.
    expect(events.filter((e) => e.type !== "sent" && e.type !== "listener")).toEqual([]);
    for (const c of customers) {
      const got = telegram.sent(c.chat).map((m) => {
        const text = visible(m.text);
        return text.includes("📥 File received") ? 0 : Number(/step (\d+)/.exec(text)?.[1]);
      });
      expect(got).toEqual(Array.from({ length: steps }, (_, i) => i));
    }
    // And they were sent side by side: the customers' chains overlapped in time.
    const arrivals = telegram.arrivals.filter((a) => a.method === "sendMessage");
    const firstOfLast = Math.min(
      ...arrivals.filter((a) => a.chatId === customers.at(-1)?.chat).map((a) => a.at),
    );
    const lastOfFirst = Math.max(
      ...arrivals.filter((a) => a.chatId === customers[0]?.chat).map((a) => a.at),
    );
    expect(firstOfLast).toBeLessThan(lastOfFirst);
  });
});
