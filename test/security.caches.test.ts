import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lookUpChat } from "../src/data/customers.ts";
import { formatDateTime, timeZoneCacheSizes } from "../src/format.ts";
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

  it("the time-zone caches hold one format per real zone, whatever the case of users.timezone, and a bounded number of texts", () => {
    const at = new Date("2024-01-15T13:30:25Z");
    const before = timeZoneCacheSizes();
    const variants = new Set<string>();
    for (const zone of ["Europe/Paris", "America/New_York"]) {
      for (let mask = 0; mask < 2 ** 10; mask++) {
        const variant = [...zone]
          .map((c, i) => (mask & (1 << (i % 10)) ? c.toUpperCase() : c.toLowerCase()))
          .join("");
        variants.add(variant);
      }
    }
    expect(variants.size).toBeGreaterThan(1_000);
    for (const variant of variants) {
      const expected = variant.toLowerCase().startsWith("europe")
        ? "2024-01-15 14:30:25"
        : "2024-01-15 08:30:25";
      expect(formatDateTime(at, variant)).toBe(expected);
    }
    const after = timeZoneCacheSizes();
    expect(after.formats - before.formats).toBeLessThanOrEqual(2);
    // Texts that name no zone at all (UTC is used) are remembered up to the bound only.
    for (let i = 0; i < 1_500; i++) formatDateTime(at, `Nowhere/${i}`);
    expect(timeZoneCacheSizes().texts).toBeLessThanOrEqual(1_000);
    expect(timeZoneCacheSizes().formats - before.formats).toBeLessThanOrEqual(3);
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
