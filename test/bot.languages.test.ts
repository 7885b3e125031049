import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MESSAGES } from "../src/bot/messages.ts";
import { type BotUnderTest, PATIENCE_MS, startBotUnderTest, visible } from "./support/chat.ts";
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

describe("which language a customer is answered in", () => {
  /** The language buttons of the last /settings menu in `chat`, as shown. */
  const languageButtons = (chat: number) =>
    (t.telegram.sent(chat).at(-1)?.reply_markup?.inline_keyboard?.at(-1) ?? []).map((b) => b.text);

  it("the website's language left at its default 'en' gives way to Telegram's", async () => {
    const chat = nextChat++;
    await t.site.createUser({ chatId: cipher.encrypt(chat), language: "en", firstName: "Karim" });
    expect(await say(chat, "/start", "fr")).toContain(head(MESSAGES.fr.welcomeBack("Karim")));
    expect(await say(chat, "/start", "de")).toContain(head(MESSAGES.en.welcomeBack("Karim")));
  });

  it("the website's language, once changed from 'en', wins over Telegram's", async () => {
    const chat = nextChat++;
    await t.site.createUser({ chatId: cipher.encrypt(chat), language: "ar", firstName: "Karim" });
    expect(await say(chat, "/help", "fr")).toBe(visible(MESSAGES.ar.help));
  });

  it("the /settings choice wins over both, and /settings marks the language in use", async () => {
    const chat = nextChat++;
    await t.site.createUser({ chatId: cipher.encrypt(chat), language: "ar" });
    await say(chat, "/settings", "en");
    expect(languageButtons(chat)).toEqual(["English", "Français", "✅ العربية"]);
    const menu = t.telegram.sent(chat).at(-1);
    const edits = () =>
      t.telegram.requests.filter(
        (r) => r.method === "editMessageText" && Number(r.body.chat_id) === chat,
      ).length;
    t.telegram.pressButton(chat, "lang:fr", { messageId: menu?.message_id });
    await t.telegram.waitFor(() => edits() > 0, PATIENCE_MS);
    expect(await say(chat, "/help", "ar")).toBe(visible(MESSAGES.fr.help));
    await say(chat, "/settings", "ar");
    expect(languageButtons(chat)).toEqual(["English", "✅ Français", "العربية"]);
  });

  it("unlinked, Telegram's language; one the bot does not speak gets the shop's English", async () => {
    expect(await say(nextChat++, "/help", "fr-CA")).toBe(visible(MESSAGES.fr.help));
    expect(await say(nextChat++, "/help", "de")).toBe(visible(MESSAGES.en.help));
  });
});
