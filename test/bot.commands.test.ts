import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BotApiDouble } from "../double/bot-api-double.ts";
import type { CustomerBot } from "../src/bot/bot.ts";
import { MESSAGES } from "../src/bot/messages.ts";
import {
  type BotUnderTest,
  codeFromMail as codeFrom,
  handledUpTo,
  isErrorReply,
  PATIENCE_MS,
  startBotUnderTest,
  visible,
} from "./support/chat.ts";
import type { TestDatabase } from "./support/database.ts";
import { cipher } from "./support/notifier-harness.ts";
import type { SmtpSink } from "./support/smtp-sink.ts";
import { until } from "./support/wait.ts";
import type { website } from "./support/website.ts";

let t: BotUnderTest;
let db: TestDatabase;
let telegram: BotApiDouble;
let smtp: SmtpSink;
let bot: CustomerBot;
let site: ReturnType<typeof website>;
let nextChat = 5000;

beforeAll(async () => {
  // The hostile-input test sends a hundred updates at once from one chat and wants a reply
  // to each: no flood bound here (test/security.link-flood.test.ts covers it).
  t = await startBotUnderTest({ pendingPerChat: 100_000 });
  ({ db, telegram, smtp, bot, site } = t);
});
afterAll(() => t.close());

/** Sends `text` as the customer and returns the bot's next reply. */
const say = (chat: number, text: string, language = "en", chatType?: "group") =>
  t.say(chat, text, language, chatType);

const codeFromMail = (to: string, count: number) => codeFrom(smtp, to, count);

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
    const second = telegram.sendText(group, "/files", {
      from: { id: 1, first_name: "X" },
      chatType: "group",
    });
    await handledUpTo(telegram, t.runner, second, nextChat++);
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

  it("an email with a control character (a NUL byte PostgreSQL cannot store) gets the /link usage, not an error", async () => {
    const chat = nextChat++;
    const usage = visible(MESSAGES.en.linkUsage);
    expect(await say(chat, "/link a\u0000b@example.com")).toBe(usage);
    expect(await say(chat, "karim\u0000@example.com")).toBe(usage);
    expect(await say(chat, "/link karim@exa\u0007mple.com")).toBe(usage);
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
    expect(await say(chat, code)).toBe(visible(MESSAGES.en.burned));
    expect(await say(chat, code)).toBe(visible(MESSAGES.en.noCode));
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
    await telegram.waitForMessages(3, { chatId: oldChat, timeoutMs: PATIENCE_MS });
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
    await telegram.waitForMessages(before + 1, { chatId: chat, timeoutMs: PATIENCE_MS });
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
    await telegram.waitFor(
      () =>
        telegram.requests.some(
          (r) => r.method === "editMessageText" && Number(r.body.chat_id) === chat,
        ),
      PATIENCE_MS,
    );
    const [prefs] =
      await db.sql`SELECT muted_kinds FROM telegram.chat_prefs WHERE user_id = ${userId}`;
    expect(prefs?.muted_kinds).toEqual(["orders"]);
  });

  it("blocking and unblocking the bot is recorded and audited", async () => {
    const chat = nextChat++;
    const userId = await site.createUser({ chatId: cipher.encrypt(chat) });
    telegram.myChatMember(chat, "kicked");
    await until(
      async () =>
        (
          await db.sql`SELECT 1 FROM telegram.chat_prefs WHERE user_id = ${userId} AND blocked_at IS NOT NULL`
        ).length > 0,
      { what: "the block recorded" },
    );
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
      const replies = (
        await telegram.waitForMessages(3, { chatId: chat, timeoutMs: PATIENCE_MS })
      ).map((m) => visible(m.text));
      expect(replies[0]).toContain("What I can do");
      expect(replies[1]).toContain("CompuCar support");
      expect(replies[2]).toContain("Welcome to CompuCar");
    }
  });

  it("5,000 hostile inputs (seeded): each gets one reply, none the error reply, all accepted by Telegram's HTML rules", async () => {
    const seed = Number(process.env.HOSTILE_SEED ?? randomInt(2 ** 31));
    const random = prng(seed);
    const below = (n: number) => Math.floor(random() * n);
    const pick = <T>(items: readonly T[]): T => items[below(items.length)] as T;
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
      "/link a\u0000b@example.com",
    ];
    const pieces = [
      "<",
      ">",
      "&",
      "&amp;",
      "<b>",
      "</i>",
      "'",
      '"',
      ";",
      "--",
      "%",
      "\\",
      "\u0000",
    ];
    const odd = ["\u200f", "\u202e", "\ufeff", "🚗", "é", "ع", " ", "\n", "\t", "@", ".", "_", "-"];
    const noise = (max: number) =>
      Array.from({ length: 1 + below(max) }, () =>
        random() < 0.4
          ? pick(random() < 0.5 ? pieces : odd)
          : String.fromCodePoint(1 + below(random() < 0.7 ? 0x7f : 0x2ffff)),
      ).join("");
    const commands = [
      "/start",
      "/link",
      "/verify",
      "/unlink",
      "/files",
      "/orders",
      "/settings",
      "/support",
      "/help",
      "/files@CompuCarBot",
      "/orders@OtherBot",
      "/nope",
    ];
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    const generators = [
      () => pick(fixed),
      () => noise(80),
      () => `${pick(commands)}${random() < 0.3 ? "" : ` ${noise(40)}`}`,
      () => `/link ${noise(20)}@${noise(20)}.${pick(["com", "dz", "x", noise(4)])}`,
      () => `${noise(20)}@${noise(20)}.com`,
      () => String(below(1_000_000)).padStart(6, "0"),
      () => `/start ${Array.from({ length: 1 + below(80) }, () => pick([...alphabet])).join("")}`,
    ];
    const linked = nextChat++;
    await site.createUser({ chatId: cipher.encrypt(linked), firstName: `<b>&"'` });
    const chats = [linked, ...Array.from({ length: 300 }, (_, i) => 100_000 + i)];
    const sentTo = new Map<number, string[]>(chats.map((c) => [c, []]));
    const first = telegram.requests.length;
    for (let i = 0; i < 5_000; i++) {
      const c = i % 50 === 0 ? linked : pick(chats);
      const text = pick(generators)();
      sentTo.get(c)?.push(text);
      telegram.sendText(c, text, { from: { id: c, first_name: "Fuzz" } });
    }
    const distinct = new Set([...sentTo.values()].flat()).size;
    console.log(
      `hostile inputs: seed ${seed}, ${distinct} distinct (replay: HOSTILE_SEED=${seed})`,
    );

    const repliesTo = () => {
      const replies = new Map<number, Array<{ text: string; status: number }>>(
        chats.map((c) => [c, []]),
      );
      for (const r of telegram.requests.slice(first))
        if (r.method === "sendMessage")
          replies
            .get(Number(r.body.chat_id))
            ?.push({ text: String(r.body.text), status: r.status });
      return replies;
    };
    const replies = await until(
      () => {
        const got = repliesTo();
        const all = chats.every((c) => (got.get(c)?.length ?? 0) >= (sentTo.get(c)?.length ?? 0));
        return all ? got : undefined;
      },
      { timeoutMs: 150_000, what: "a reply to each of the 5,000 inputs" },
    );
    const wrong: Array<{ chat: number; input: string; reply: string; status: number }> = [];
    for (const c of chats) {
      const inputs = sentTo.get(c) ?? [];
      const answers = replies?.get(c) ?? [];
      expect(answers.length, `replies in chat ${c} (seed ${seed})`).toBe(inputs.length);
      answers.forEach((answer, k) => {
        if (answer.status !== 200 || isErrorReply(answer.text))
          wrong.push({
            chat: c,
            input: inputs[k] ?? "",
            reply: answer.text,
            status: answer.status,
          });
      });
    }
    expect(wrong, `seed ${seed}`).toEqual([]);
    expect(await say(linked, "/start")).toContain("Welcome back");
  }, 180_000);

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

/** mulberry32: a small seeded PRNG in [0, 1), so a failing run can be replayed from its seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}
