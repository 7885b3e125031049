import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MESSAGES } from "../src/bot/messages.ts";
import { type BotUnderTest, startBotUnderTest, visible } from "./support/chat.ts";

let t: BotUnderTest;
let nextChat = 41_000;

beforeAll(async () => {
  t = await startBotUnderTest();
});
afterAll(() => t.close());

describe("a /start payload that is not a live link token", () => {
  it("gets the expired-or-used link answer, in the customer's language, never the error reply", async () => {
    const payloads = [
      "garbage",
      "!!!",
      "A".repeat(65),
      "A".repeat(5_000),
      `${"A".repeat(42)}$`,
      `${"A".repeat(40)}é€😀`,
      "../../etc/passwd",
      "' OR 1=1 --",
      "%00%27",
      "a\u0000b",
      "A".repeat(43),
    ];
    for (const payload of payloads) {
      expect(await t.say(nextChat++, `/start ${payload}`), payload.slice(0, 40)).toBe(
        visible(MESSAGES.en.badToken),
      );
    }
    expect(await t.say(nextChat++, "/start %%%", "fr")).toBe(visible(MESSAGES.fr.badToken));
    expect(await t.say(nextChat++, "/start %%%", "ar")).toBe(visible(MESSAGES.ar.badToken));
  });

  it("an expired token and a used token get the same answer, and link nothing", async () => {
    const userId = await t.site.createUser();
    const expired = await t.site.createLinkToken(userId);
    await t.db
      .sql`UPDATE telegram.link_tokens SET expires_at = now() - interval '1 second' WHERE user_id = ${userId}`;
    expect(await t.say(nextChat++, `/start ${expired}`)).toBe(visible(MESSAGES.en.badToken));

    const used = await t.site.createLinkToken(userId);
    const owner = nextChat++;
    expect(await t.say(owner, `/start ${used}`)).toContain("now linked");
    const other = nextChat++;
    expect(await t.say(other, `/start ${used}`)).toBe(visible(MESSAGES.en.badToken));
    const audit = await t.db.sql`
      SELECT action FROM telegram.link_audit WHERE user_id = ${userId} ORDER BY id`;
    expect(audit.map((a) => a.action)).toEqual(["link"]);
  });
});
