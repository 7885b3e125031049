import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MESSAGES } from "../src/bot/messages.ts";
import {
  type BotUnderTest,
  codeFromMail,
  PATIENCE_MS,
  startBotUnderTest,
  visible,
} from "./support/chat.ts";
import { cipher } from "./support/notifier-harness.ts";

let t: BotUnderTest;
let nextChat = 31_000;
const en = MESSAGES.en;

beforeAll(async () => {
  t = await startBotUnderTest();
});
afterAll(() => t.close());

describe("an email code is single use", () => {
  it("after a successful /verify the same code, from the same chat or another, links nothing", async () => {
    const email = "once@example.com";
    const userId = await t.site.createUser({ email, firstName: "Nadia" });
    const chat = nextChat++;
    const thief = nextChat++;
    expect(await t.say(chat, `/link ${email}`)).toBe(en.codeSent);
    const code = await codeFromMail(t.smtp, email, 1);
    expect(await t.say(chat, `/verify ${code}`)).toBe(visible(en.linked("Nadia")));

    expect(await t.say(chat, `/verify ${code}`)).toBe(visible(en.noCode));
    expect(await t.say(chat, code)).toBe(visible(en.noCode));
    expect(await t.say(thief, `/verify ${code}`)).toBe(visible(en.noCode));

    const codes = await t.db.sql`
      SELECT user_id, used_at IS NOT NULL AS used FROM telegram.link_codes WHERE email = ${email}`;
    expect(codes).toEqual([{ user_id: userId, used: true }]);
    const [user] = await t.db.sql`SELECT "telegramChatId" FROM users WHERE id = ${userId}`;
    expect(user?.telegramChatId).toBe(cipher.encrypt(chat));
    const audit = await t.db.sql`
      SELECT action FROM telegram.link_audit WHERE user_id = ${userId} ORDER BY id`;
    expect(audit.map((a) => a.action)).toEqual(["link"]);
  });

  it("a spent code does not link the account again after the customer unlinked", async () => {
    const email = "unlinked-then-replayed@example.com";
    const userId = await t.site.createUser({ email });
    const chat = nextChat++;
    await t.say(chat, `/link ${email}`);
    const code = await codeFromMail(t.smtp, email, 1);
    expect(await t.say(chat, code)).toContain("now linked");
    expect(await t.say(chat, "/unlink")).toBe(en.unlinkConfirm);
    const question = t.telegram.sent(chat).at(-1);
    t.telegram.pressButton(chat, "unlink:yes", { messageId: question?.message_id });
    await t.telegram.waitFor(
      () => visible(t.telegram.sent(chat).at(-1)?.text ?? "") === en.unlinked,
      PATIENCE_MS,
    );

    expect(await t.say(chat, code)).toBe(visible(en.noCode));
    const [user] = await t.db.sql`SELECT "telegramChatId" FROM users WHERE id = ${userId}`;
    expect(user?.telegramChatId).toBeNull();
  });
});

describe("at most 3 codes an hour per email", () => {
  /** Four /link for `email`, each from a new chat; the replies and the mails sent. */
  async function fourRequests(email: string): Promise<{ replies: string[]; mails: number }> {
    const replies: string[] = [];
    const spellings = [
      email,
      email.toUpperCase(),
      ` ${email}`,
      email.replace(/^./, (c) => c.toUpperCase()),
    ];
    for (const spelling of spellings) {
      const chat = nextChat++;
      await t.say(chat, `/link ${spelling}`);
      replies.push(t.telegram.sent(chat).at(-1)?.text ?? "");
    }
    // Mails go out in the background, one per code of a registered email: the codes
    // recorded say how many will come.
    const [{ mailed }] = await t.db.sql<[{ mailed: number }]>`
      SELECT count(*)::int AS mailed FROM telegram.link_codes
       WHERE email = ${email} AND user_id IS NOT NULL`;
    return { replies, mails: (await t.smtp.waitForMails(email, mailed)).length };
  }

  it("a 4th /link for the same email, from another chat, mails nothing and answers alike for a registered and an unknown email", async () => {
    await t.site.createUser({ email: "limited@example.com" });
    const registered = await fourRequests("limited@example.com");
    const unknown = await fourRequests("not-a-customer@example.com");

    expect(registered.replies).toEqual([en.codeSent, en.codeSent, en.codeSent, en.rateLimited]);
    expect(registered.mails).toBe(3);
    expect(unknown.replies).toEqual(registered.replies);
    expect(unknown.mails).toBe(0);
    const [{ n }] = await t.db.sql<[{ n: number }]>`
      SELECT count(*)::int AS n FROM telegram.link_codes WHERE email = 'limited@example.com'`;
    expect(n).toBe(3);
  });
});
