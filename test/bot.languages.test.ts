import type { RunnerHandle } from "@grammyjs/runner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { createBot, runBot } from "../src/bot/bot.ts";
import { MESSAGES } from "../src/bot/messages.ts";
import { createLogger } from "../src/log.ts";
import { say as sayTo, visible } from "./support/chat.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher } from "./support/notifier-harness.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
let telegram: BotApiDouble;
let runner: RunnerHandle;
let nextChat = 9000;

beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start();
  const bot = createBot({
    token: telegram.token,
    apiRoot: telegram.url,
    sql: db.sql,
    chatIds: cipher,
    logger: createLogger("silent"),
    websiteUrl: "https://compucar.pro",
    linkVerification: "email",
    support: {},
  });
  runner = runBot(bot);
});
afterAll(async () => {
  await runner.stop();
  await telegram.close();
  await db.drop();
});

const say = (chat: number, text: string, language: string) => sayTo(telegram, chat, text, language);

/** The first line of a message, as a customer recognises it. */
const head = (text: string) => visible(text).split("\n")[0] ?? "";

describe.each(["en", "fr", "ar"] as const)("every command in %s", (locale) => {
  const m = MESSAGES[locale];

  it("unlinked: each command gives its reply in the customer's Telegram language", async () => {
    const chat = nextChat++;
    expect(await say(chat, "/start", locale)).toContain(head(m.notLinked));
    for (const command of ["/files", "/orders", "/settings", "/unlink"]) {
      expect(await say(chat, command, locale)).toBe(visible(m.needLink));
    }
    expect(await say(chat, "/link", locale)).toBe(visible(m.linkUsage));
    expect(await say(chat, "/verify", locale)).toBe(visible(m.verifyUsage));
    expect(await say(chat, "123456", locale)).toBe(visible(m.noCode));
    expect(await say(chat, "/support", locale)).toBe(m.supportNone);
    expect(await say(chat, "/help", locale)).toBe(m.help);
    expect(await say(chat, "what?", locale)).toBe(m.unknown);
  });

  it("linked: the account's language wins over Telegram's, and each command answers", async () => {
    const chat = nextChat++;
    const userId = await website(db.sql).createUser({
      chatId: cipher.encrypt(chat),
      language: locale,
      firstName: "Karim",
    });
    await website(db.sql).uploadFile(userId, "golf.bin");
    expect(await say(chat, "/start", "de")).toContain(head(m.welcomeBack("Karim")));
    expect(await say(chat, "/files", "de")).toContain(m.filesTitle);
    expect(await say(chat, "/orders", "de")).toBe(m.ordersEmpty);
    expect(await say(chat, "/settings", "de")).toContain(head(m.settingsTitle));
    expect(await say(chat, "/unlink", "de")).toBe(m.unlinkConfirm);
    expect(await say(chat, "/help", "de")).toBe(m.help);
  });
});
