import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MESSAGES } from "../src/bot/messages.ts";
import { type BotUnderTest, PATIENCE_MS, startBotUnderTest, visible } from "./support/chat.ts";
import { cipher } from "./support/notifier-harness.ts";

let t: BotUnderTest;
let nextChat = 73_000;
const en = MESSAGES.en;

beforeAll(async () => {
  t = await startBotUnderTest();
});
afterAll(() => t.close());

/** The account the chat is linked to now. */
async function linkedTo(chat: number): Promise<string | undefined> {
  const [row] = await t.db.sql<[{ id: string }?]>`
    SELECT id FROM users WHERE "telegramChatId" = ${cipher.encrypt(chat)}`;
  return row?.id;
}

/** Presses `data` under the chat's last message; resolves with the next message, as read. */
async function press(chat: number, data: string): Promise<string> {
  const sent = t.telegram.sent(chat);
  t.telegram.pressButton(chat, data, { messageId: sent.at(-1)?.message_id });
  const after = await t.telegram.waitForMessages(sent.length + 1, {
    chatId: chat,
    timeoutMs: PATIENCE_MS,
  });
  return visible(after[sent.length]?.text ?? "");
}

/** A customer whose chat is linked, and another account's live deep-link token. */
async function linkedChatAndForeignToken() {
  const chat = nextChat++;
  const own = await t.site.createUser({ email: `own-${chat}@example.com` });
  expect(await t.say(chat, `/start ${await t.site.createLinkToken(own)}`)).toContain("now linked");
  const foreign = await t.site.createUser({ email: `amina.${chat}@gmail.com` });
  return { chat, own, foreign, token: await t.site.createLinkToken(foreign) };
}

describe("a linked chat opening another account's deep link", () => {
  it("is asked first, with the other account masked, and nothing changes until it answers", async () => {
    const { chat, own, token } = await linkedChatAndForeignToken();
    const question = await t.say(chat, `/start ${token}`);
    expect(question).toBe(visible(en.relinkConfirm(`a•••@gmail.com`)));
    expect(question).not.toContain(`amina.${chat}`);
    const buttons = t.telegram.sent(chat).at(-1)?.reply_markup?.inline_keyboard?.flat() ?? [];
    expect(buttons.map((b) => [b.text, b.callback_data])).toEqual([
      [en.relinkYes, "relink:yes"],
      [en.relinkNo, "relink:no"],
    ]);
    expect(await linkedTo(chat)).toBe(own);
  });

  it("cancel keeps the current link, and the token cannot be used afterwards", async () => {
    const { chat, own, token } = await linkedChatAndForeignToken();
    await t.say(chat, `/start ${token}`);
    expect(await press(chat, "relink:no")).toBe(en.unlinkCancelled);
    expect(await linkedTo(chat)).toBe(own);
    expect(await press(chat, "relink:yes")).toBe(visible(en.badToken));
    expect(await linkedTo(chat)).toBe(own);
  });

  it("only the button relinks the chat to the other account", async () => {
    const { chat, foreign, token } = await linkedChatAndForeignToken();
    await t.say(chat, `/start ${token}`);
    expect(await press(chat, "relink:yes")).toContain("now linked");
    expect(await linkedTo(chat)).toBe(foreign);
  });

  it("the chat's own account's deep link still links at once", async () => {
    const { chat, own } = await linkedChatAndForeignToken();
    expect(await t.say(chat, `/start ${await t.site.createLinkToken(own)}`)).toContain(
      "now linked",
    );
    expect(await linkedTo(chat)).toBe(own);
  });
});
