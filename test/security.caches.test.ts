import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lookUpChat } from "../src/data/customers.ts";
import { type BotUnderTest, startBotUnderTest } from "./support/chat.ts";
import { cipher } from "./support/notifier-harness.ts";

/** What grows with what strangers send, and what must not depend on the order of rows. */

let bot: BotUnderTest;
beforeAll(async () => {
  bot = await startBotUnderTest({ groupsRemembered: 2 });
});
afterAll(() => bot.close());

describe("caches a stranger can fill", () => {
  it("groups told 'private chats only' are remembered up to a bound: the longest-known is forgotten and told again", async () => {
    const groups = [-1_001_000_000_001, -1_001_000_000_002, -1_001_000_000_003];
    for (const group of groups) {
      expect(await bot.say(group, "/help", "en", "group")).toContain("private");
    }
    // The first group was pushed out by the third: it is told again (unbounded, it never is).
    expect(await bot.say(groups[0] as number, "/help", "en", "group")).toContain("private");
  });
});

describe("lookUpChat with one chat on two accounts", () => {
  it.each([
    ["the plaintext id's account linked first", "plaintext"],
    ["the encrypted id's account linked first", "encrypted"],
  ] as const)("always the encrypted id's account (%s)", async (_name, first) => {
    const chat = first === "plaintext" ? 5_081_239_001 : 5_081_239_002;
    const forms = { plaintext: String(chat), encrypted: cipher.encrypt(chat) };
    const second = first === "plaintext" ? "encrypted" : "plaintext";
    const ids = {
      [first]: await bot.site.createUser({ chatId: forms[first], firstName: first }),
      [second]: await bot.site.createUser({ chatId: forms[second], firstName: second }),
    } as Record<"plaintext" | "encrypted", string>;
    await bot.db.sql`
      UPDATE users SET "telegramLinkedAt" = now() - interval '1 day' WHERE id = ${ids[first]}`;
    for (let i = 0; i < 3; i++) {
      const { account } = await lookUpChat(bot.db.sql, cipher, chat);
      expect(account?.id).toBe(ids.encrypted);
    }
  });
});
