import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BotUnderTest, startBotUnderTest } from "./support/chat.ts";

let t: BotUnderTest;

beforeAll(async () => {
  t = await startBotUnderTest();
});
afterAll(() => t.close());

/** Today's row of telegram.engagement, as a DBA reads it. */
async function today() {
  const [row] = await t.db.sql<[{ active: number; linked: number; updates: number }?]>`
    SELECT active_chats::int AS active, active_linked_chats::int AS linked, updates::int AS updates
      FROM telegram.engagement WHERE day = current_date`;
  return row;
}

describe("telegram.engagement", () => {
  it("counts the chats that linked today as active linked chats, and a chat that never linked as active only", async () => {
    // Three customers open their deep link today: each chat's only update is the one that
    // links it. A fourth chat only asks for help.
    for (const chat of [81_001, 81_002, 81_003]) {
      const user = await t.site.createUser({ email: `customer-${chat}@example.com` });
      expect(await t.say(chat, `/start ${await t.site.createLinkToken(user)}`)).toContain(
        "now linked",
      );
    }
    await t.say(81_004, "/help");
    await t.bot.flushUsage();

    expect(await today()).toEqual({ active: 4, linked: 3, updates: 4 });
  });

  it("a chat that unlinked after its last update today is no longer counted as linked", async () => {
    const chat = 81_010;
    const user = await t.site.createUser({ email: `customer-${chat}@example.com` });
    await t.say(chat, `/start ${await t.site.createLinkToken(user)}`);
    await t.say(chat, "/files");
    await t.bot.flushUsage();
    const before = await today();
    // A DBA unlinks the customer by hand (the audit trigger records it).
    await t.db.sql`UPDATE users SET "telegramChatId" = NULL WHERE id = ${user}`;
    expect(await today()).toEqual({ ...before, linked: (before?.linked ?? 0) - 1 });
  });
});
