import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import type { Notifier } from "../src/notifier/notifier.ts";
import { visible } from "./support/chat.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher, startNotifier } from "./support/notifier-harness.ts";
import { runScript } from "./support/script-process.ts";
import { until } from "./support/wait.ts";
import { website } from "./support/website.ts";

/**
 * scripts/test-message.ts as an operator runs it, against a notifier on the same database
 * sending to the Bot API double: delivered, or where it stopped and the fix.
 */

let db: TestDatabase;
let telegram: BotApiDouble;
let site: ReturnType<typeof website>;
const running: Notifier[] = [];
let nextChat = 7000;

beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start();
  site = website(db.sql);
});
afterEach(async () => {
  for (const n of running.splice(0)) await n.stop();
  telegram.clearFaults();
  await db.sql`UPDATE telegram.controls SET paused_at = NULL, paused_reason = NULL, rollout_stage = 'everyone'`;
});
afterAll(async () => {
  await telegram.close();
  await db.drop();
});

async function notifier(): Promise<Notifier> {
  const { notifier } = startNotifier(db, telegram);
  running.push(notifier);
  await notifier.start();
  return notifier;
}

/** The operator's own account, linked to a chat of their own unless `linked` is false. */
async function operator(linked = true) {
  const chat = nextChat++;
  const email = `owner${chat}@compucar.example`;
  const userId = await site.createUser({ email, chatId: linked ? cipher.encrypt(chat) : null });
  return { chat, email, userId };
}

function testMessage(email: string, ...extra: string[]) {
  return runScript(["scripts/test-message.ts", "--email", email, "--timeout", "60", ...extra], {
    DATABASE_URL: db.url,
  });
}

/** The test messages recorded for `userId`, in the intake or the outbox. */
async function recorded(userId: string): Promise<number> {
  const [{ n }] = await db.sql<[{ n: number }]>`
    SELECT (SELECT count(*) FROM telegram.events WHERE source = 'test' AND user_id = ${userId})
         + (SELECT count(*) FROM telegram.outbox WHERE kind = 'test' AND user_id = ${userId}) AS n`;
  return Number(n);
}

describe("scripts/test-message.ts", () => {
  it("delivered: exit 0, the time it took, and the message in the operator's own chat", async () => {
    await notifier();
    const { chat, email, userId } = await operator();
    const { code, stdout, stderr } = await testMessage(email.toUpperCase());
    expect(stderr).not.toMatch(/error/);
    expect(code).toBe(0);
    const line =
      /^delivered in \d+\.\d\d s: Telegram accepted the test message to \S+ \(telegram\.outbox row (\d+), Telegram message (\d+)\)\n$/.exec(
        stdout,
      );
    expect(line, stdout).not.toBeNull();
    const [message, ...more] = telegram.sent(chat);
    expect(more).toEqual([]);
    expect(visible(message?.text ?? "")).toContain("🧪 Test message");
    expect(visible(message?.text ?? "")).toContain("CompuCar notifications reach this chat.");
    expect(Number(line?.[2])).toBe(message?.message_id);
    const [row] = await db.sql`
      SELECT id::text, status, kind FROM telegram.outbox WHERE user_id = ${userId}`;
    expect(row).toEqual({ id: line?.[1], status: "sent", kind: "test" });
  });

  it("is not stopped by the operator's muted kinds: every kind muted in /settings, still delivered", async () => {
    await notifier();
    const { chat, email, userId } = await operator();
    await db.sql`
      INSERT INTO telegram.chat_prefs (user_id, muted_kinds)
      VALUES (${userId}, ARRAY['files', 'orders', 'payments', 'announcements'])`;
    const { code, out } = await testMessage(email);
    expect(out).toMatch(/^delivered in /);
    expect(code).toBe(0);
    expect(telegram.sent(chat).map((m) => visible(m.text))).toEqual([
      expect.stringContaining("🧪 Test message"),
    ]);
  });

  it("no notifier running: says so after --timeout, and the message waits for the service", async () => {
    const { chat, email, userId } = await operator();
    const { code, stderr } = await runScript(
      ["scripts/test-message.ts", "--email", email, "--timeout", "1"],
      { DATABASE_URL: db.url },
    );
    expect(code).toBe(1);
    expect(stderr).toContain(
      "error: not delivered after 1 s: no notifier took the test message (telegram.events); telegram.notifier_is_idle() is false: no notifier is running, or it is busy with a backlog; start the service (npm start) and check GET /healthz",
    );
    expect(telegram.sent(chat)).toEqual([]);
    // The event was recorded all the same: a notifier that starts delivers it.
    await notifier();
    const [message] = await telegram.waitForMessages(1, { chatId: chat });
    expect(visible(message?.text ?? "")).toContain("🧪 Test message");
    expect(await recorded(userId)).toBe(1);
  });

  it("Telegram refused: exit 1 with Telegram's description", async () => {
    await notifier();
    const { chat, email } = await operator();
    telegram.failChat(chat, { kind: "badRequest", description: "message text is empty" });
    const { code, stdout, stderr } = await testMessage(email);
    expect(stdout).toBe("");
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^error: Telegram refused the test message \(telegram\.outbox row \d+, last_error "[^"]*message text is empty[^"]*"\): see the error; the notifier's log has the same line\n$/,
    );
  });

  it("not linked: exit 1 with how to link; nothing recorded", async () => {
    const { email, userId } = await operator(false);
    const { code, stderr } = await testMessage(email);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `error: account ${email} is not linked to a Telegram chat: send /link ${email} to the bot, or open the link printed by npx tsx scripts/link-token.ts ${email}; no test message was recorded\n`,
    );
    expect(await recorded(userId)).toBe(0);
  });

  it("no such account: exit 1", async () => {
    const { code, stderr } = await testMessage("nobody@compucar.example");
    expect(code).toBe(1);
    expect(stderr).toBe(
      "error: no account with email nobody@compucar.example: give the email of your own CompuCar account (users.email, any case)\n",
    );
  });

  it("notifications paused: exit 1 naming the pause, its reason and the fix; nothing recorded", async () => {
    await notifier();
    const { chat, email, userId } = await operator();
    await db.sql`
      UPDATE telegram.controls SET paused_at = now(), paused_reason = 'Telegram outage'`;
    const { code, stderr } = await testMessage(email);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^error: notifications are paused since \d{4}-\d\d-\d\dT[\d:.]+Z by \S+ \(Telegram outage\): resume them first \(UPDATE telegram\.controls SET paused_at = NULL, paused_reason = NULL\); no test message was recorded\n$/,
    );
    expect(await recorded(userId)).toBe(0);
    expect(telegram.sent(chat)).toEqual([]);
  });

  it("not in the rollout stage: exit 1 naming the stage and the allow-list", async () => {
    const { email, userId } = await operator();
    await db.sql`UPDATE telegram.controls SET rollout_stage = 'internal'`;
    const { code, stderr } = await testMessage(email);
    expect(code).toBe(1);
    expect(stderr).toContain(
      `error: the rollout stage is internal and ${email} is not in it (telegram.in_rollout is false): add it, e.g. INSERT INTO telegram.rollout_allow (stage, customer) VALUES ('internal', '${email}')`,
    );
    expect(await recorded(userId)).toBe(0);
  });

  it("chat blocked: exit 1 naming the block", async () => {
    const { email, userId } = await operator();
    await db.sql`INSERT INTO telegram.chat_prefs (user_id, blocked_at) VALUES (${userId}, now())`;
    const { code, stderr } = await testMessage(email);
    expect(code).toBe(1);
    expect(stderr).toContain(`error: the Telegram chat of ${email} blocked the bot`);
  });

  it("--dry-run: checks the account and records nothing; --email is required", async () => {
    const { email, userId } = await operator();
    const { code, stdout } = await testMessage(email, "--dry-run");
    expect(code).toBe(0);
    expect(stdout).toBe(
      `dry run: ${email} is linked, in the rollout stage, and notifications are running; no test message was recorded\n`,
    );
    expect(await recorded(userId)).toBe(0);
    const missing = await runScript(["scripts/test-message.ts"], { DATABASE_URL: db.url });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: missing --email <your account's email>\n/);
  });
});

describe("telegram.record_test_message (SQL)", () => {
  it("records the event as the website would: a running notifier delivers it", async () => {
    await notifier();
    const { chat, email } = await operator();
    const [{ subject }] = await db.sql<[{ subject: string }]>`
      SELECT telegram.record_test_message(${email}) AS subject`;
    await telegram.waitForMessages(1, { chatId: chat });
    const row = await until(async () => {
      const [r] = await db.sql`
        SELECT status FROM telegram.outbox WHERE kind = 'test' AND subject_id = ${subject} AND status = 'sent'`;
      return r;
    });
    expect(row).toEqual({ status: "sent" });
  });
});
