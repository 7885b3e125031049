import type { RunnerHandle } from "@grammyjs/runner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBot, runBot } from "../src/bot/bot.ts";
import { MESSAGES } from "../src/bot/messages.ts";
import { createLogger } from "../src/log.ts";
import { createMetrics, type Metrics } from "../src/metrics.ts";
import { BotApiDouble } from "./support/bot-api-double.ts";
import { say, visible } from "./support/chat.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher } from "./support/notifier-harness.ts";

let db: TestDatabase;
let telegram: BotApiDouble;
let runner: RunnerHandle;
let metrics: Metrics;
const m = MESSAGES.en;

beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start();
  metrics = createMetrics(undefined);
  const bot = createBot({
    token: telegram.token,
    apiRoot: telegram.url,
    sql: db.sql,
    chatIds: cipher,
    logger: createLogger("silent"),
    websiteUrl: "https://compucar.pro",
    linkVerification: "email",
    support: {},
    metrics,
  });
  runner = runBot(bot);
});
afterAll(async () => {
  await runner.stop();
  await telegram.close();
  await db.drop();
});

/** The bot's counters as Prometheus serves them on /metrics, one sorted line each. */
async function botCounters(registry: Metrics["registry"]): Promise<string[]> {
  const text = await registry.metrics();
  return text
    .split("\n")
    .filter((line) => line.startsWith("telegram_bot_"))
    .sort();
}

describe("the bot's /metrics counters", () => {
  it("count every update by type and every /command by name (unknown ones as other), whatever the chat", async () => {
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
    expect(await botCounters(metrics.registry)).toEqual([
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
