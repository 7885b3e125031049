/**
 * Who may link in a rollout stage, as customers meet it in the chat: /link answers the
 * same whether the email is unknown, outside the stage or staff's; only the account's
 * owner, once proven (the emailed code), hears "coming soon". A linked chat the stage
 * leaves out keeps its commands.
 */
import { afterAll, describe, expect, it } from "vitest";
import { MESSAGES } from "../src/bot/messages.ts";
import { type BotUnderTest, codeFromMail, startBotUnderTest, visible } from "./support/chat.ts";

const en = MESSAGES.en;
const started: BotUnderTest[] = [];
afterAll(() => Promise.all(started.map((b) => b.close())));

async function start(...args: Parameters<typeof startBotUnderTest>): Promise<BotUnderTest> {
  const bot = await startBotUnderTest(...args);
  started.push(bot);
  await bot.db.sql`UPDATE telegram.controls SET rollout_stage = 'internal'`;
  return bot;
}

/** Whether the account with `email` has a linked chat. */
async function linked(t: BotUnderTest, email: string): Promise<boolean> {
  const [row] = await t.db.sql<[{ linked: boolean }]>`
    SELECT "telegramChatId" IS NOT NULL AS linked FROM users WHERE email = ${email}`;
  return row?.linked ?? false;
}

describe("linking in the internal stage", () => {
  it("/link answers alike; the code's owner outside the stage hears 'coming soon', staff link", async () => {
    const t = await start();
    await t.site.createUser({ email: "out@example.com" });
    const staff = await t.site.createUser({ email: "staff@example.com", firstName: "Samia" });
    await t.db.sql`UPDATE users SET role = 'ADMIN' WHERE id = ${staff}`;

    const unknown = await t.say(81_001, "/link nobody@example.com");
    const outside = await t.say(81_002, "/link out@example.com");
    const inside = await t.say(81_003, "/link staff@example.com");
    expect(unknown).toBe(en.codeSent);
    expect(outside).toBe(unknown);
    expect(inside).toBe(unknown);

    // The owner of the account outside the stage proves it, and only then is told.
    const outCode = await codeFromMail(t.smtp, "out@example.com", 1);
    expect(await t.say(81_002, `/verify ${outCode}`)).toBe(visible(en.comingSoon));
    expect(await linked(t, "out@example.com")).toBe(false);

    const staffCode = await codeFromMail(t.smtp, "staff@example.com", 1);
    expect(await t.say(81_003, `/verify ${staffCode}`)).toBe(visible(en.linked("Samia")));
    expect(await linked(t, "staff@example.com")).toBe(true);

    // Out of the stage once linked: no notifications, but the commands still work.
    await t.db.sql`UPDATE users SET role = 'CUSTOMER' WHERE id = ${staff}`;
    expect(await t.say(81_003, "/files")).toBe(visible(en.filesEmpty));
  });

  it("LINK_VERIFICATION=none: the same reply for all, and only accounts in the stage are linked", async () => {
    const t = await start({ linkVerification: "none" });
    await t.site.createUser({ email: "out@example.com" });
    await t.site.createUser({ email: "tester@example.com" });
    await t.db
      .sql`INSERT INTO telegram.rollout_allow (stage, customer) VALUES ('internal', 'Tester@Example.com')`;
    const unknown = await t.say(82_001, "/link nobody@example.com");
    const outside = await t.say(82_002, "/link out@example.com");
    const inside = await t.say(82_003, "/link tester@example.com");
    expect(unknown).toBe(visible(en.quickLinkDone));
    expect(outside).toBe(unknown);
    expect(inside).toBe(unknown);
    expect(await linked(t, "out@example.com")).toBe(false);
    expect(await linked(t, "tester@example.com")).toBe(true);
  });
});
