import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MESSAGES } from "../src/bot/messages.ts";
import { LINK_LIMITS } from "../src/linking/link.ts";
import {
  type BotUnderTest,
  codeFromMail,
  PATIENCE_MS,
  startBotUnderTest,
  visible,
} from "./support/chat.ts";

let t: BotUnderTest;
let nextChat = 71_000;
const en = MESSAGES.en;

beforeAll(async () => {
  t = await startBotUnderTest();
});
afterAll(() => t.close());

/** Sends `text` from each chat at once (no waiting in between); resolves with each chat's reply. */
async function allAtOnce(chats: number[], text: (chat: number) => string): Promise<string[]> {
  for (const chat of chats)
    t.telegram.sendText(chat, text(chat), { from: { id: chat, first_name: "A" } });
  return Promise.all(
    chats.map(async (chat) => {
      const [reply] = await t.telegram.waitForMessages(1, { chatId: chat, timeoutMs: PATIENCE_MS });
      return visible(reply?.text ?? "");
    }),
  );
}

describe("the per-email /link limit under concurrency", () => {
  it("20 chats sending /link for one email at once get at most the limit's codes and mails", async () => {
    const email = "raced@example.com";
    await t.site.createUser({ email });
    const chats = Array.from({ length: 20 }, () => nextChat++);
    const replies = await allAtOnce(chats, () => `/link ${email}`);

    const [{ codes }] = await t.db.sql<[{ codes: number }]>`
      SELECT count(*)::int AS codes FROM telegram.link_codes WHERE email = ${email}`;
    expect(codes).toBe(LINK_LIMITS.perEmailPerHour);
    expect(replies.filter((r) => r === en.codeSent)).toHaveLength(LINK_LIMITS.perEmailPerHour);
    expect(replies.filter((r) => r === en.rateLimited)).toHaveLength(
      chats.length - LINK_LIMITS.perEmailPerHour,
    );
    // One mail per code recorded: the sink gets exactly that many (no more can come).
    expect(await t.smtp.waitForMails(email, codes)).toHaveLength(LINK_LIMITS.perEmailPerHour);
  });
});

describe("failed /verify per account, across chats", () => {
  it("after the hour's tries at one email's codes, even the right code from another chat is refused", async () => {
    const email = "guessed@example.com";
    const userId = await t.site.createUser({ email });
    const [owner, first, second] = [nextChat++, nextChat++, nextChat++];
    expect(await t.say(owner, `/link ${email}`)).toBe(en.codeSent);
    const ownersCode = await codeFromMail(t.smtp, email, 1);
    for (const chat of [first, second])
      expect(await t.say(chat, `/link ${email}`)).toBe(en.codeSent);
    const codes = await Promise.all([1, 2, 3].map((n) => codeFromMail(t.smtp, email, n)));
    const wrong = ["111111", "222222", "333333", "444444"].find((c) => !codes.includes(c)) ?? "";

    // Two attacker chats spend their five tries each: the hour's tries at this account.
    const checked: string[] = [];
    for (const chat of [first, second]) {
      for (let i = 0; i < 5; i++) checked.push(await t.say(chat, `/verify ${wrong}`));
    }
    expect(checked).toHaveLength(LINK_LIMITS.triesPerEmailPerHour);
    expect(checked).not.toContain(visible(en.tooManyTries));

    expect(await t.say(owner, `/verify ${ownersCode}`)).toBe(visible(en.tooManyTries));
    const [user] = await t.db.sql`SELECT "telegramChatId" FROM users WHERE id = ${userId}`;
    expect(user?.telegramChatId).toBeNull();
  });
});
