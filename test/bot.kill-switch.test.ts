import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BotUnderTest, handledUpTo, startBotUnderTest } from "./support/chat.ts";
import { cipher } from "./support/notifier-harness.ts";

let t: BotUnderTest;

beforeAll(async () => {
  t = await startBotUnderTest({ enabled: false });
});
afterAll(() => t.close());

describe("the kill switch (TELEGRAM_CUSTOMER_BOT_ENABLED=false → createBot enabled: false)", () => {
  it("the bot takes every update and answers none: no message, no button answer, no mail, no database write", async () => {
    const linkedChat = 51_001;
    const newChat = 51_002;
    const group = -100_510_003;
    const userId = await t.site.createUser({
      email: "switched-off@example.com",
      chatId: cipher.encrypt(linkedChat),
    });
    const [{ token }] = await t.db.sql<[{ token: string }]>`
      SELECT telegram.create_link_token(${userId}) AS token`;
    const [before] = await t.db.sql`SELECT * FROM users WHERE id = ${userId}`;

    const customer = (id: number) => ({ from: { id, first_name: "Karim", language_code: "en" } });
    for (const text of [
      "/start",
      "/help",
      "/link switched-off@example.com",
      "switched-off@example.com",
      "/verify 123456",
      "123456",
      `/start ${token}`,
      "hello",
    ])
      t.telegram.sendText(newChat, text, customer(newChat));
    for (const text of ["/start", "/files", "/orders", "/settings", "/unlink", "/support"])
      t.telegram.sendText(linkedChat, text, customer(linkedChat));
    t.telegram.pressButton(linkedChat, "mute:orders");
    t.telegram.pressButton(linkedChat, "unlink:yes");
    t.telegram.myChatMember(linkedChat, "kicked");
    const last = t.telegram.sendText(group, "/start", { ...customer(7), chatType: "group" });

    await handledUpTo(t.telegram, t.runner, last, 51_004);
    await t.bot.flushUsage();

    const answers = t.telegram.requests.filter(
      (r) => !["getMe", "getUpdates", "setMyCommands"].includes(r.method),
    );
    expect(answers.map((r) => r.method)).toEqual([]);
    expect(t.smtp.mails).toEqual([]);
    expect(await t.db.sql`SELECT * FROM users WHERE id = ${userId}`).toEqual([before]);
    expect(
      await t.db.sql`SELECT used_at FROM telegram.link_tokens WHERE user_id = ${userId}`,
    ).toEqual([{ used_at: null }]);
    const written = await t.db.sql`
      SELECT (SELECT count(*) FROM telegram.link_codes)::int AS codes,
             (SELECT count(*) FROM telegram.chat_prefs)::int AS prefs,
             (SELECT count(*) FROM telegram.link_audit WHERE actor = 'bot')::int AS audit,
             (SELECT count(*) FROM telegram.command_usage)::int AS usage,
             (SELECT count(*) FROM telegram.chat_activity)::int AS activity`;
    expect(written).toEqual([{ codes: 0, prefs: 0, audit: 0, usage: 0, activity: 0 }]);
  });
});
