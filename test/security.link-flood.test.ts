import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PENDING_PER_CHAT } from "../src/bot/bot.ts";
import { MESSAGES } from "../src/bot/messages.ts";
import { type BotUnderTest, handledUpTo, startBotUnderTest, visible } from "./support/chat.ts";

let t: BotUnderTest;
const en = MESSAGES.en;

beforeAll(async () => {
  t = await startBotUnderTest();
});
afterAll(() => t.close());

describe("one chat flooding the bot", () => {
  it("is cut to the bound, with one 'slow down', and another chat's /help is answered meanwhile", async () => {
    const [flooder, other, marker] = [75_001, 75_002, 75_003];
    // Telegram holds every reply to the flooding chat: its updates pile up in the bot.
    const release = t.telegram.holdNext(10_000, { chatId: flooder });
    let last = 0;
    for (let i = 0; i < 400; i++)
      last = t.telegram.sendText(flooder, "/help", { from: { id: flooder, first_name: "F" } });

    // Another customer is answered while the flood's replies are all still held.
    expect(await t.say(other, "/help")).toBe(visible(en.help));
    expect(t.telegram.sent(flooder)).toEqual([]);

    release();
    await handledUpTo(t.telegram, t.runner, last, marker);
    const replies = t.telegram.sent(flooder).map((m) => visible(m.text));
    expect(replies.filter((r) => r === visible(en.help))).toHaveLength(PENDING_PER_CHAT);
    expect(replies.filter((r) => r === en.slowDown)).toHaveLength(1);
    expect(replies).toHaveLength(PENDING_PER_CHAT + 1);
  });
});
