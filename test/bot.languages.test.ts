import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MESSAGES } from "../src/bot/messages.ts";
import { type BotUnderTest, startBotUnderTest, visible } from "./support/chat.ts";
import { cipher } from "./support/notifier-harness.ts";

let t: BotUnderTest;
let nextChat = 9000;

beforeAll(async () => {
  t = await startBotUnderTest({ support: {} });
});
afterAll(() => t.close());

const say = (chat: number, text: string, language: string) => t.say(chat, text, language);

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
    const userId = await t.site.createUser({
      chatId: cipher.encrypt(chat),
      language: locale,
      firstName: "Karim",
    });
    await t.site.uploadFile(userId, "golf.bin");
    expect(await say(chat, "/start", "de")).toContain(head(m.welcomeBack("Karim")));
    expect(await say(chat, "/files", "de")).toContain(m.filesTitle);
    expect(await say(chat, "/orders", "de")).toBe(m.ordersEmpty);
    expect(await say(chat, "/settings", "de")).toContain(head(m.settingsTitle));
    expect(await say(chat, "/unlink", "de")).toBe(m.unlinkConfirm);
    expect(await say(chat, "/help", "de")).toBe(m.help);
  });
});
