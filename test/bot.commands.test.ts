import type { RunnerHandle } from "@grammyjs/runner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { type CustomerBot, createBot, runBot } from "../src/bot/bot.ts";
import { createLogger } from "../src/log.ts";
import { createMailer } from "../src/mailer.ts";
import { say as sayTo, visible } from "./support/chat.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher } from "./support/notifier-harness.ts";
import { startSmtpSink } from "./support/smtp-sink.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
let telegram: BotApiDouble;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let runner: RunnerHandle;
let bot: CustomerBot;
let site: ReturnType<typeof website>;
let nextChat = 5000;

beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start({ botUsername: "CompuCarBot" });
  smtp = await startSmtpSink();
  site = website(db.sql);
  bot = createBot({
    token: telegram.token,
    apiRoot: telegram.url,
    sql: db.sql,
    chatIds: cipher,
    logger: createLogger("silent"),
    websiteUrl: "https://compucar.pro",
    linkVerification: "email",
    mailer: createMailer({ url: smtp.url, from: "CompuCar <noreply@compucar.pro>" }),
    support: { email: "support@compucar.pro", phone: "+213 555 00 00 00", hours: "Sun–Thu 9–17" },
  });
  runner = runBot(bot, { logger: createLogger("silent") });
});
afterAll(async () => {
  await runner.stop();
  await smtp.close();
  await telegram.close();
  await db.drop();
});

/** Sends `text` as the customer and returns the bot's next reply. */
const say = (chat: number, text: string, language = "en", chatType?: "group") =>
  sayTo(telegram, chat, text, language, chatType);

async function codeFromMail(to: string, count: number): Promise<string> {
  const start = Date.now();
  while (smtp.mails.filter((m) => m.to.toLowerCase() === to.toLowerCase()).length < count) {
    if (Date.now() - start > 5_000) throw new Error(`no mail to ${to}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const mail = smtp.mails.filter((m) => m.to.toLowerCase() === to.toLowerCase())[count - 1];
  const code = /code to link Telegram to your CompuCar account is: (\d{6})/.exec(
    mail?.raw ?? "",
  )?.[1];
  if (!code) throw new Error("no code in the mail");
  return code;
}

describe("commands of a customer who has not linked yet", () => {
  it("/start explains linking, /files asks to link first, /help lists commands, anything else hints at /help — in en, fr, ar", async () => {
    const chat = nextChat++;
    expect(await say(chat, "/start")).toContain("/link your@email.com");
    expect(await say(chat, "/files")).toContain("Link your CompuCar account first");
    expect(await say(chat, "/help")).toContain("/orders – your latest orders");
    expect(await say(chat, "hello?")).toContain("Send /help");
    expect(await say(nextChat++, "/start", "fr")).toContain("Bienvenue chez CompuCar");
    expect(await say(nextChat++, "/start", "ar")).toContain("مرحبًا بك في CompuCar");
    expect(await say(nextChat++, "/start", "de")).toContain("Welcome to CompuCar");
  });

  it("/support shows the configured contacts", async () => {
    const text = await say(nextChat++, "/support");
    expect(text).toContain("support@compucar.pro");
    expect(text).toContain("+213 555 00 00 00");
  });

  it("in a group it says once that it only works in private, then stays silent", async () => {
    const group = -100777;
    expect(await say(group, "/start", "en", "group")).toContain("only work in a private chat");
    telegram.sendText(group, "/files", { from: { id: 1, first_name: "X" }, chatType: "group" });
    const marker = nextChat++;
    await say(marker, "/help");
    expect(telegram.sent(group)).toHaveLength(1);
  });
});

describe("linking by email (LINK_VERIFICATION=email)", () => {
  it("/link → mailed code → /verify → linked; /files shows this customer's files and nobody else's", async () => {
    const chat = nextChat++;
    const userId = await site.createUser({ email: "Karim.Benali@Example.com", firstName: "Karim" });
    const other = await site.createUser({ email: "someone@example.com" });
    await site.uploadFile(userId, "my_golf.bin");
    await site.uploadFile(other, "not_mine.bin");
    expect(await say(chat, "/link karim.benali@example.com")).toContain(
      "we have sent a 6-digit code",
    );
    const code = await codeFromMail("Karim.Benali@Example.com", 1);
    const linked = await say(chat, `/verify ${code}`);
    expect(linked).toContain("✅ Your Telegram account is now linked to CompuCar!");
    expect(linked).toContain("Welcome, Karim");
    const files = await say(chat, "/files");
    expect(files).toContain("my_golf.bin");
    expect(files).not.toContain("not_mine.bin");
    expect(await say(chat, "/start")).toContain("Welcome back, Karim");
    const [row] =
      await db.sql`SELECT "telegramChatId", "telegramUsername", "telegramLinkedAt" FROM users WHERE id = ${userId}`;
    expect(cipher.decrypt(row?.telegramChatId)).toBe(String(chat));
    expect(row?.telegramUsername).toBe("karim");
    expect(row?.telegramLinkedAt).not.toBeNull();
    const audit =
      await db.sql`SELECT action, actor, row_to_json(a)::text AS j FROM telegram.link_audit a WHERE user_id = ${userId}`;
    expect(audit.map((a) => [a.action, a.actor])).toEqual([["link", "bot"]]);
    expect(audit[0]?.j).not.toContain(String(chat));
  });

  it("the reply to /link is byte-identical for a registered and an unregistered email", async () => {
    await site.createUser({ email: "known@example.com" });
    const chat = nextChat++;
    const before = telegram.sent(chat).length;
    await say(chat, "/link known@example.com");
    await say(chat, "/link nobody-here@example.com");
    const [a, b] = telegram.sent(chat).slice(before);
    expect(a?.text).toBe(b?.text);
    expect(smtp.mails.some((m) => m.to === "nobody-here@example.com")).toBe(false);
  });

  it("brute force: five wrong codes burn it, and a sixth try fails even with the right code", async () => {
    const chat = nextChat++;
    await site.createUser({ email: "brute@example.com" });
    await say(chat, "/link brute@example.com");
    const code = await codeFromMail("brute@example.com", 1);
    const wrong = code === "000000" ? "111111" : "000000";
    for (let i = 0; i < 4; i++)
      expect(await say(chat, `/verify ${wrong}`)).toContain("That code is not right");
    expect(await say(chat, wrong)).toContain("Too many wrong codes");
    expect(await say(chat, code)).toMatch(/no code waiting|Too many wrong codes/);
    const [row] =
      await db.sql`SELECT "telegramChatId" FROM users WHERE email = 'brute@example.com'`;
    expect(row?.telegramChatId).toBeNull();
  });

  it("50 /link requests in a minute from one chat: only the first 5 are served", async () => {
    const chat = nextChat++;
    await site.createUser({ email: "spam@example.com" });
    const replies: string[] = [];
    for (let i = 0; i < 50; i++) replies.push(await say(chat, `/link spam${i}@example.com`));
    expect(replies.filter((r) => r.includes("6-digit code"))).toHaveLength(5);
    expect(replies.filter((r) => r.includes("Too many link requests"))).toHaveLength(45);
  });

  it("a deep link from telegram.create_link_token links once; the same token again is refused", async () => {
    const userId = await site.createUser({ firstName: "Amina", language: "fr" });
    const [{ token }] = await db.sql<
      [{ token: string }]
    >`SELECT telegram.create_link_token(${userId}) AS token`;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const chat = nextChat++;
    expect(await say(chat, `/start ${token}`)).toContain(
      "Votre compte Telegram est maintenant lié",
    );
    expect(await say(nextChat++, `/start ${token}`)).toContain(
      "This link has expired or was already used",
    );
  });

  it("relinking an account from a new chat (proven by email): the new chat wins and the old chat is told", async () => {
    const userId = await site.createUser({ email: "move@example.com" });
    const oldChat = nextChat++;
    const newChat = nextChat++;
    await say(oldChat, "/link move@example.com");
    await say(oldChat, await codeFromMail("move@example.com", 1));
    await say(newChat, "/link move@example.com");
    expect(await say(newChat, await codeFromMail("move@example.com", 2))).toContain("now linked");
    await telegram.waitForMessages(3, { chatId: oldChat });
    expect(visible(telegram.sent(oldChat).at(-1)?.text ?? "")).toContain(
      "linked to another Telegram chat",
    );
    const audit =
      await db.sql`SELECT action FROM telegram.link_audit WHERE user_id = ${userId} ORDER BY id`;
    expect(audit.map((a) => a.action)).toEqual(["link", "relink"]);
  });

  it("/unlink asks first; the button unlinks; the customer can link again later", async () => {
    const chat = nextChat++;
    const userId = await site.createUser({
      email: "bye@example.com",
      chatId: cipher.encrypt(chat),
    });
    expect(await say(chat, "/unlink")).toContain("stop receiving CompuCar notifications");
    const question = telegram.sent(chat).at(-1);
    const button = question?.reply_markup?.inline_keyboard?.[0]?.[0]?.callback_data;
    expect(button).toBe("unlink:yes");
    const before = telegram.sent(chat).length;
    telegram.pressButton(chat, button ?? "", { messageId: question?.message_id });
    await telegram.waitForMessages(before + 1, { chatId: chat });
    expect(visible(telegram.sent(chat).at(-1)?.text ?? "")).toContain("Unlinked");
    const [row] = await db.sql`SELECT "telegramChatId" FROM users WHERE id = ${userId}`;
    expect(row?.telegramChatId).toBeNull();
    expect(await say(chat, "/files")).toContain("Link your CompuCar account first");
  });
});

describe("a linked customer", () => {
  it("/orders lists the latest orders with tracking; /settings mutes a kind; Arabic accounts get Arabic", async () => {
    const chat = nextChat++;
    const userId = await site.createUser({ chatId: cipher.encrypt(chat), language: "ar" });
    const orderId = await site.placeOrder(userId, "CC-9001");
    await site.shipOrder(orderId, "YAL-42");
    const orders = await say(chat, "/orders");
    expect(orders).toContain("آخر طلباتك");
    expect(orders).toContain("CC-9001");
    expect(orders).toContain("YAL-42");
    await say(chat, "/settings");
    const menu = telegram.sent(chat).at(-1);
    telegram.pressButton(chat, "mute:orders", { messageId: menu?.message_id });
    await telegram.waitFor(() =>
      telegram.requests.some(
        (r) => r.method === "editMessageText" && Number(r.body.chat_id) === chat,
      ),
    );
    const [prefs] =
      await db.sql`SELECT muted_kinds FROM telegram.chat_prefs WHERE user_id = ${userId}`;
    expect(prefs?.muted_kinds).toEqual(["orders"]);
  });

  it("blocking and unblocking the bot is recorded and audited", async () => {
    const chat = nextChat++;
    const userId = await site.createUser({ chatId: cipher.encrypt(chat) });
    telegram.myChatMember(chat, "kicked");
    const start = Date.now();
    let row: { blocked_at: Date | null } | undefined;
    while (!row?.blocked_at && Date.now() - start < 5_000) {
      [row] = await db.sql<
        Array<{ blocked_at: Date | null }>
      >`SELECT blocked_at FROM telegram.chat_prefs WHERE user_id = ${userId}`;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(row?.blocked_at).not.toBeNull();
    const audit =
      await db.sql`SELECT action, actor FROM telegram.link_audit WHERE user_id = ${userId} AND action = 'block'`;
    expect(audit).toEqual([{ action: "block", actor: "bot" }]);
  });
});

describe("robustness", () => {
  it("200 chats sending commands at once: every one answered, and within a chat replies come in order", async () => {
    const chats = Array.from({ length: 200 }, () => nextChat++);
    for (const chat of chats) {
      telegram.sendText(chat, "/help", { from: { id: chat, first_name: "A" } });
      telegram.sendText(chat, "/support", { from: { id: chat, first_name: "A" } });
      telegram.sendText(chat, "/start", { from: { id: chat, first_name: "A" } });
    }
    for (const chat of chats) {
      const replies = (await telegram.waitForMessages(3, { chatId: chat, timeoutMs: 30_000 })).map(
        (m) => visible(m.text),
      );
      expect(replies[0]).toContain("What I can do");
      expect(replies[1]).toContain("CompuCar support");
      expect(replies[2]).toContain("Welcome to CompuCar");
    }
  });

  it("5,000 hostile inputs: no crash, no SQL error, every reply accepted by Telegram's HTML rules", async () => {
    const chat = nextChat++;
    await site.createUser({ chatId: cipher.encrypt(chat), firstName: `<b>&"'` });
    const random = (n: number) =>
      Array.from({ length: n }, () =>
        String.fromCodePoint(Math.floor(Math.random() * 0x2ffff) + 1),
      ).join("");
    const fixed = [
      "/link",
      "/link ",
      "/verify",
      "/verify 12",
      "/files@CompuCarBot",
      "/orders@CompuCarBot extra",
      "/link A.B+tag@Example.COM",
      "'; DROP TABLE users; --",
      "<script>alert(1)</script>",
      "&amp; & &#0; <b>",
      "/start ../../etc/passwd",
      "/start ' OR 1=1 --",
      `/link ${"a".repeat(300)}@x.com`,
      "x".repeat(10_000),
      "\u0000\u200f\u202e",
    ];
    const inputs = Array.from(
      { length: 5_000 },
      (_, i) => fixed[i % fixed.length] ?? random(1 + (i % 50)),
    );
    for (let i = 0; i < inputs.length; i += 100) {
      const chats = inputs.slice(i, i + 100).map((text, j) => {
        const c = i % 1000 === 0 && j === 0 ? chat : 100_000 + ((i + j) % 300);
        telegram.sendText(c, text, { from: { id: c, first_name: "Fuzz" } });
        return c;
      });
      expect(chats).toHaveLength(Math.min(100, inputs.length - i));
    }
    await telegram.waitFor(
      () => telegram.requests.filter((r) => r.method === "sendMessage").length >= 5_000,
      60_000,
    );
    const refused = telegram.requests.filter((r) => r.status >= 400 && r.method === "sendMessage");
    expect(refused).toEqual([]);
    expect(await say(chat, "/start")).toContain("Welcome back");
  });

  it("a used or expired token or code is refused", async () => {
    const userId = await site.createUser();
    const [{ token }] = await db.sql<
      [{ token: string }]
    >`SELECT telegram.create_link_token(${userId}) AS token`;
    await db.sql`UPDATE telegram.link_tokens SET expires_at = now() - interval '1 second' WHERE user_id = ${userId}`;
    expect(await say(nextChat++, `/start ${token}`)).toContain("expired or was already used");
    const chat = nextChat++;
    await site.createUser({ email: "late@example.com" });
    await say(chat, "/link late@example.com");
    const code = await codeFromMail("late@example.com", 1);
    await db.sql`UPDATE telegram.link_codes SET expires_at = now() - interval '1 second' WHERE email = 'late@example.com'`;
    expect(await say(chat, `/verify ${code}`)).toContain("no code waiting");
  });

  it("the stored chat id is not the plaintext id, and the unique constraint still stops two accounts sharing a chat", async () => {
    const chat = nextChat++;
    const a = await site.createUser({ chatId: cipher.encrypt(chat) });
    const b = await site.createUser();
    const [row] = await db.sql`SELECT "telegramChatId" FROM users WHERE id = ${a}`;
    expect(row?.telegramChatId).not.toContain(String(chat));
    await expect(
      db.sql`UPDATE users SET "telegramChatId" = ${cipher.encrypt(chat)} WHERE id = ${b}`,
    ).rejects.toThrow(/users_telegramChatId_key/);
  });
});

describe("usage counters", () => {
  it("counted per day and command, and per day and chat with its last link state; each write adds to what is stored", async () => {
    await bot.flushUsage();
    const uses = async () =>
      new Map(
        (
          await db.sql<Array<{ command: string; uses: number }>>`
            SELECT command, uses::int AS uses FROM telegram.command_usage WHERE day = current_date`
        ).map((r) => [r.command, r.uses]),
      );
    const activity = async (chat: number) =>
      db.sql<Array<{ linked: boolean; updates: number }>>`
        SELECT linked, updates FROM telegram.chat_activity
         WHERE day = current_date AND chat_fingerprint = telegram.chat_fingerprint(${cipher.encrypt(chat)})`;
    const before = await uses();
    const chat = nextChat++;
    await say(chat, "/help");
    await say(chat, "/help");
    await say(chat, "hello");
    await site.createUser({ chatId: cipher.encrypt(chat) });
    await say(chat, "/start");
    await bot.flushUsage();
    const after = await uses();
    const added = (command: string) => (after.get(command) ?? 0) - (before.get(command) ?? 0);
    expect([added("help"), added("text"), added("start")]).toEqual([2, 1, 1]);
    expect(await activity(chat)).toEqual([{ linked: true, updates: 4 }]);

    await say(chat, "/files");
    await bot.flushUsage();
    expect(await activity(chat)).toEqual([{ linked: true, updates: 5 }]);
    expect((await uses()).get("files")).toBe((after.get("files") ?? 0) + 1);
  });
});
