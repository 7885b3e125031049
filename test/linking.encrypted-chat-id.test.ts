import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatIdCipher } from "../src/chat-id.ts";
import { type BotUnderTest, codeFromMail, startBotUnderTest } from "./support/chat.ts";
import { cipher } from "./support/notifier-harness.ts";

let t: BotUnderTest;
let nextChat = 7_306_918_000;

beforeAll(async () => {
  t = await startBotUnderTest();
});
afterAll(() => t.close());

/** users."telegramChatId" exactly as stored, as a DBA reads it. */
async function storedChatId(userId: string): Promise<string | null> {
  const [row] = await t.db.sql<[{ chat: string | null }]>`
    SELECT "telegramChatId" AS chat FROM users WHERE id = ${userId}`;
  return row.chat;
}

/**
 * The stored form is the cipher's `tg1:` + base64url(16-byte SIV || AES-CTR of the decimal
 * id), never the id itself, and opens to the chat id with the service's key only.
 */
function expectEncrypted(stored: string | null, chat: number): void {
  expect(stored).not.toBeNull();
  const text = stored ?? "";
  expect(text).not.toContain(String(chat));
  expect(text).toMatch(/^tg1:[A-Za-z0-9_-]+$/);
  expect(Buffer.from(text.slice(4), "base64url")).toHaveLength(16 + String(chat).length);
  expect(cipher.decrypt(text)).toBe(String(chat));
  const otherKey = ChatIdCipher.fromBase64(randomBytes(32).toString("base64"));
  expect(() => otherKey.decrypt(text)).toThrowError("stored chat id failed authentication");
}

describe("the chat id the bot stores when it links an account", () => {
  it("is encrypted after an email code", async () => {
    const userId = await t.site.createUser({ email: "cipher@example.com" });
    const chat = nextChat++;
    await t.say(chat, "/link cipher@example.com");
    const code = await codeFromMail(t.smtp, "cipher@example.com", 1);
    expect(await t.say(chat, `/verify ${code}`)).toContain("now linked");
    expectEncrypted(await storedChatId(userId), chat);
  });

  it("is encrypted after a deep link, and after a relink from another chat", async () => {
    const userId = await t.site.createUser();
    const token = async () =>
      (
        await t.db.sql<[{ token: string }]>`SELECT telegram.create_link_token(${userId}) AS token`
      )[0].token;
    const first = nextChat++;
    expect(await t.say(first, `/start ${await token()}`)).toContain("now linked");
    expectEncrypted(await storedChatId(userId), first);
    const second = nextChat++;
    expect(await t.say(second, `/start ${await token()}`)).toContain("now linked");
    expectEncrypted(await storedChatId(userId), second);
  });
});
