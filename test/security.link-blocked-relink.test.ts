import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Notifier } from "../src/notifier/notifier.ts";
import { type BotUnderTest, startBotUnderTest } from "./support/chat.ts";
import { cipher, startNotifier } from "./support/notifier-harness.ts";
import { until } from "./support/wait.ts";

let t: BotUnderTest;
let notifier: Notifier;

beforeAll(async () => {
  t = await startBotUnderTest();
  notifier = startNotifier(t.db, t.telegram).notifier;
  await notifier.start();
});
afterAll(async () => {
  await notifier.stop();
  await t.close();
});

describe("a block seen on an old chat", () => {
  it("is forgotten when the customer links a new chat: the new chat gets the notifications", async () => {
    const [oldChat, newChat] = [74_001, 74_002];
    const userId = await t.site.createUser({ chatId: cipher.encrypt(oldChat) });
    t.telegram.myChatMember(oldChat, "kicked");
    await until(
      async () =>
        (
          await t.db
            .sql`SELECT 1 FROM telegram.chat_prefs WHERE user_id = ${userId} AND blocked_at IS NOT NULL`
        ).length > 0,
      { what: "the block recorded" },
    );

    const token = await t.site.createLinkToken(userId);
    expect(await t.say(newChat, `/start ${token}`)).toContain("now linked");

    await t.site.uploadFile(userId, "after_relink.bin");
    const [row] = await until(
      async () => {
        const rows = await t.db.sql<{ status: string; last_error: string | null }[]>`
        SELECT status, last_error FROM telegram.outbox WHERE user_id = ${userId} AND status <> 'pending'`;
        return rows.length > 0 ? rows : undefined;
      },
      { what: "the upload's message settled" },
    );
    expect(row).toEqual({ status: "sent", last_error: null });
    const messages = t.telegram.sent(newChat).map((m) => m.text);
    expect(messages.some((text) => text.includes("after_relink.bin"))).toBe(true);
    const audit = await t.db.sql`
      SELECT action FROM telegram.link_audit WHERE user_id = ${userId} ORDER BY id`;
    expect(audit.map((a) => a.action)).toEqual(["link", "block", "relink", "unblock"]);
  });
});
