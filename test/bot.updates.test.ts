import type { RunnerHandle } from "@grammyjs/runner";
import type { Update } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { type CustomerBot, createBot, runBot } from "../src/bot/bot.ts";
import { MESSAGES } from "../src/bot/messages.ts";
import { webhookReceiver } from "../src/bot/webhook.ts";
import type { WebhookOptions } from "../src/http.ts";
import { createLogger } from "../src/log.ts";
import { createMetrics, type Metrics } from "../src/metrics.ts";
import { say, testBotOptions, visible } from "./support/chat.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher } from "./support/notifier-harness.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
let telegram: BotApiDouble;
const m = MESSAGES.en;

/** A customer bot on the double that counts into its own metrics. */
function customerBot(metrics: Metrics): CustomerBot {
  return createBot(testBotOptions(telegram, db, { metrics }));
}

/** The bot's counters as Prometheus serves them on /metrics, one sorted line each. */
async function botCounters(metrics: Metrics): Promise<string[]> {
  const text = await metrics.registry.metrics();
  return (
    text
      .split("\n")
      // Every known label starts at 0 (src/metrics.ts): the counted ones are the others.
      .filter((line) => line.startsWith("telegram_bot_") && !line.endsWith(" 0"))
      .sort()
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start();
});
afterAll(async () => {
  await telegram.close();
  await db.drop();
});

describe("updates by long polling", () => {
  let runner: RunnerHandle;
  const metrics = createMetrics(undefined);
  beforeAll(() => {
    runner = runBot(customerBot(metrics));
  });
  afterAll(() => runner.stop());

  it("/metrics counts every update by type and every /command by name (unknown ones as other), whatever the chat", async () => {
    const chat = 9100;
    expect(await say(telegram, chat, "/files")).toBe(visible(m.needLink));
    expect(await say(telegram, chat, "/help@TestBot now")).toBe(m.help);
    expect(await say(telegram, chat, "/nope")).toBe(m.unknown);
    expect(await say(telegram, chat, "hello /files")).toBe(m.unknown);
    telegram.pressButton(chat, "nothing:here");
    telegram.myChatMember(chat, "kicked");
    // A group gets one "private chats only" answer, and its updates are counted too.
    expect(await say(telegram, -500, "/orders", "en", "group")).toBe(m.privateOnly);
    // One chat's updates are handled in order: once this is answered, the two before it were counted.
    expect(await say(telegram, chat, "/help")).toBe(m.help);
    expect(await botCounters(metrics)).toEqual([
      'telegram_bot_commands_total{command="files"} 1',
      'telegram_bot_commands_total{command="help"} 2',
      'telegram_bot_commands_total{command="orders"} 1',
      'telegram_bot_commands_total{command="other"} 1',
      'telegram_bot_updates_total{type="callback_query"} 1',
      'telegram_bot_updates_total{type="message"} 6',
      'telegram_bot_updates_total{type="my_chat_member"} 1',
    ]);
  });
});

describe("updates by webhook", () => {
  let bot: CustomerBot;
  let receiver: WebhookOptions;
  let nextUpdate = 1;
  const metrics = createMetrics(undefined);
  beforeAll(() => {
    bot = customerBot(metrics);
    receiver = webhookReceiver(
      bot,
      db.sql,
      { path: "/tg/hook", secret: "hook-secret" },
      createLogger("silent"),
    );
  });
  afterAll(() => bot.stopUsage());

  /** The update Telegram posts when the customer of `chat` sends the command `text`. */
  const commandUpdate = (chat: number, text: string): Update => ({
    update_id: nextUpdate,
    message: {
      message_id: nextUpdate++,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chat, type: "private", first_name: "Karim" },
      from: { id: chat, is_bot: false, first_name: "Karim" },
      text,
      entities: [{ type: "bot_command", offset: 0, length: text.length }],
    },
  });

  it("one chat's updates are answered in the order they came, while chats go on in parallel; /metrics counts them", async () => {
    const chats = Array.from({ length: 20 }, (_, i) => 7000 + i);
    for (const chat of chats) {
      const userId = await website(db.sql).createUser({ chatId: cipher.encrypt(chat) });
      for (let i = 0; i < 5; i++) await website(db.sql).uploadFile(userId, `stage${i}.bin`);
    }
    const commands = ["/files", "/help", "/orders", "/start", "/support"];
    const before = telegram.sent().length;
    // As Telegram posts them: one chat's updates interleaved with the other chats'.
    for (const command of commands)
      for (const chat of chats) receiver.handle(commandUpdate(chat, command));

    const replies = await telegram.waitForMessages(before + chats.length * commands.length, {
      timeoutMs: 30_000,
    });
    const firstLine = (text: string) => visible(text).split("\n")[0];
    for (const chat of chats) {
      expect(replies.filter((r) => r.chat_id === chat).map((r) => firstLine(r.text))).toEqual([
        firstLine(m.filesTitle),
        firstLine(m.help),
        firstLine(m.ordersEmpty),
        firstLine(m.welcomeBack("Karim")),
        firstLine(m.supportNone),
      ]);
    }
    expect(await botCounters(metrics)).toEqual([
      'telegram_bot_commands_total{command="files"} 20',
      'telegram_bot_commands_total{command="help"} 20',
      'telegram_bot_commands_total{command="orders"} 20',
      'telegram_bot_commands_total{command="start"} 20',
      'telegram_bot_commands_total{command="support"} 20',
      'telegram_bot_updates_total{type="message"} 100',
    ]);
  });

  it("claims an update id once: Telegram's replay of it is refused, and the id is stored", async () => {
    expect(await receiver.claim(424242)).toBe(true);
    expect(await receiver.claim(424242)).toBe(false);
    const rows = await db.sql`SELECT 1 FROM telegram.webhook_updates WHERE update_id = 424242`;
    expect(rows).toHaveLength(1);
  });
});
