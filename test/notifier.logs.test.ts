import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { createLogger } from "../src/log.ts";
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

describe("the notifier's logs", () => {
  it("a delivery, a 403 blocked, a 400 and a 429, logged down to trace: no chat id in any line, plaintext or encrypted", async () => {
    const site = website(db.sql);
    // Ten digits, unlike any id, count or time in a log line.
    const chats = { sent: 5_081_234_561, blocked: 5_081_234_562, refused: 5_081_234_563 };
    const throttled = 5_081_234_564;
    const userIds: string[] = [];
    for (const chat of [...Object.values(chats), throttled]) {
      const userId = await site.createUser({ chatId: cipher.encrypt(chat) });
      userIds.push(userId);
      await site.uploadFile(userId, `${chat}.bin`.replace(/\d/g, "x"));
    }
    telegram.failChat(chats.blocked, { kind: "blocked" });
    telegram.failNext(1, { kind: "chatNotFound" }, { chatId: chats.refused });
    telegram.failNext(1, { kind: "tooManyRequests", retryAfter: 1 }, { chatId: throttled });

    const lines: string[] = [];
    const logger = createLogger("trace", {
      pretty: false,
      destination: { write: (line: string) => void lines.push(line) },
    });
    const { notifier, events } = startNotifier(db, telegram, { logger });
    await notifier.start();
    try {
      await telegram.waitForMessages(1, { chatId: chats.sent });
      // The throttled message goes once the pause is over.
      await telegram.waitForMessages(1, { chatId: throttled, timeoutMs: 15_000 });
      await until(() => events.filter((e) => e.type === "failed").length === 2);
    } finally {
      await notifier.stop();
    }
    const text = lines.join("");
    // What the lines are about: each case was logged.
    expect(text).toContain("✅ Telegram notification sent");
    expect(text).toContain("the customer blocked the bot");
    expect(text).toContain("Telegram refused the message");
    expect(text).toContain("Telegram asks to slow down");
    const stored = await db.sql<Array<{ chat: string }>>`
      SELECT "telegramChatId" AS chat FROM users WHERE id = ANY(${userIds})`;
    expect(stored).toHaveLength(4);
    const secrets = [...Object.values(chats), throttled].map(String);
    for (const s of stored) secrets.push(s.chat);
    expect(secrets.filter((s) => text.includes(s))).toEqual([]);
  });
});
