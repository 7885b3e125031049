import { randomBytes } from "node:crypto";
import { Api, BotError, GrammyError, HttpError } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble, type Fault } from "../double/bot-api-double.ts";
import { BOT_RETRY_SECONDS, createBot } from "../src/bot/bot.ts";
import { loadConfig } from "../src/config.ts";
import { freePort } from "../src/db/embedded.ts";
import { ensureMigrated } from "../src/db/migration-check.ts";
import { createLogger, type Logger } from "../src/log.ts";
import { testBotOptions } from "./support/chat.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher, startNotifier } from "./support/notifier-harness.ts";
import { until } from "./support/wait.ts";
import { website } from "./support/website.ts";

/** A token as BotFather makes them; the double accepts it. */
const TOKEN = `7012345678:AAH${randomBytes(24).toString("base64url")}`;
const SECRET_PART = TOKEN.split(":")[1] as string;
/** Ten digits, unlike any id, count or time in a log line. */
const CHAT = 5_081_234_567;
const BOT_INFO = {
  id: 7_012_345_678,
  is_bot: true,
  first_name: "CompuCar",
  username: "CompuCarBot",
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
} as UserFromGetMe;

let db: TestDatabase;
let telegram: BotApiDouble;
beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start({ token: TOKEN, botUsername: "CompuCarBot" });
});
afterAll(async () => {
  await telegram.close();
  await db.drop();
});

/** A logger at `level` writing JSON lines into the returned array. */
function capture(level: "trace" | "debug" | "info", secrets: readonly string[] = []) {
  const lines: string[] = [];
  const logger: Logger = createLogger(level, {
    pretty: false,
    secrets,
    destination: { write: (line: string) => void lines.push(line) },
  });
  return { logger, lines, text: () => lines.join("") };
}

function helpUpdate(updateId: number, chat: number): Update {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chat, type: "private", first_name: "Amina" },
      from: { id: chat, is_bot: false, first_name: "Amina", last_name: "Haddad" },
      text: "/help",
      entities: [{ type: "bot_command", offset: 0, length: 5 }],
    },
  };
}

/** What the bot's update handling does with an update, as the runner drives it. */
async function handle(bot: ReturnType<typeof createBot>, update: Update): Promise<void> {
  await bot.handleUpdate(update).catch((error: unknown) => bot.errorHandler(error as never));
}

/** Neither the token (in any form) nor the chat id appears in `text`. */
function expectNoSecrets(text: string, chat = CHAT) {
  expect(text).not.toContain(SECRET_PART);
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(String(chat));
}

describe("the log scrubbing layer", () => {
  it("bot.catch: a reply that fails on the network (HttpError with the token in the fetch URL) logs neither the token nor the chat id", async () => {
    const closed = await freePort();
    const { logger, lines, text } = capture("trace");
    const bot = createBot(
      testBotOptions(telegram, db, {
        token: TOKEN,
        apiRoot: `http://127.0.0.1:${closed}`,
        botInfo: BOT_INFO,
        logger,
      }),
    );
    await handle(bot, helpUpdate(1, CHAT));
    const failed = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "bot: an update failed");
    expect(failed).toHaveLength(1);
    // What the operator needs is still there: the kind of failure and where.
    expect(failed[0].err.message).toContain("Network request for 'sendMessage' failed");
    expect(text()).toContain("ECONNREFUSED");
    expectNoSecrets(text());
  });

  it.each<[string, Fault, string]>([
    ["403 blocked", { kind: "blocked" }, "bot was blocked by the user"],
    ["400 chat not found", { kind: "chatNotFound" }, "chat not found"],
    // Longer than the bot waits out (a shorter one is sent again: bot.api-client).
    [
      "429 too many requests",
      { kind: "tooManyRequests", retryAfter: BOT_RETRY_SECONDS + 5 },
      "Too Many Requests",
    ],
  ])(
    "bot.catch: a reply Telegram refuses (%s, GrammyError with payload.chat_id and the text) logs neither the chat id nor the reply",
    async (_name, fault, description) => {
      const chat = CHAT + Math.floor(Math.random() * 1_000) + 1;
      const { logger, lines, text } = capture("trace");
      const bot = createBot(
        testBotOptions(telegram, db, { token: TOKEN, botInfo: BOT_INFO, logger }),
      );
      telegram.failNext(1, fault, { chatId: chat });
      const before = telegram.requests.length;
      await handle(bot, helpUpdate(2, chat));
      const failed = lines
        .map((l) => JSON.parse(l))
        .filter((l) => l.msg === "bot: an update failed");
      expect(failed).toHaveLength(1);
      expect(failed[0].err.description).toContain(description);
      const refused = telegram.requests
        .slice(before)
        .find((r) => r.method === "sendMessage" && r.status >= 400);
      const reply = String(refused?.body.text ?? "");
      expect(reply.length).toBeGreaterThan(20);
      expectNoSecrets(text(), chat);
      // No line repeats what the customer was sent (a line of it is enough to tell).
      expect(text()).not.toContain(reply.split("\n")[0]);
    },
  );

  it("grammY's own error objects, however logged and nested, keep the token, chat id and configured secrets out", async () => {
    const smtpPassword = "Sm7p-p4ssw0rd";
    const chatIdKey = randomBytes(32).toString("base64");
    const config = loadConfig({
      TELEGRAM_CUSTOMER_BOT_TOKEN: TOKEN,
      TELEGRAM_CHAT_ID_KEY: chatIdKey,
      SMTP_URL: `smtp://shop:${smtpPassword}@mail.example.com:587`,
      MAIL_FROM: "CompuCar <noreply@compucar.pro>",
    });
    const { logger, text } = capture("trace", config.secrets);
    // Real errors from real failed calls.
    const closed = await freePort();
    const httpError = await new Api(TOKEN, { apiRoot: `http://127.0.0.1:${closed}` })
      .sendMessage(CHAT, "Hello Amina")
      .catch((e: unknown) => e);
    expect(httpError).toBeInstanceOf(HttpError);
    telegram.failNext(1, { kind: "blocked" }, { chatId: CHAT });
    const grammyError = await new Api(TOKEN, { apiRoot: telegram.url })
      .sendMessage(CHAT, "Hello Amina")
      .catch((e: unknown) => e);
    expect(grammyError).toBeInstanceOf(GrammyError);
    const ctx = { update: helpUpdate(3, CHAT), api: new Api(TOKEN), chat: { id: CHAT } };
    const botError = new BotError(grammyError, ctx as never);

    logger.error(httpError as Error);
    logger.error({ err: httpError }, (httpError as Error).message);
    logger.warn({ err: grammyError, attempt: { request: { error: grammyError } } });
    logger.error({ err: botError, updateId: 3 }, "webhook update failed");
    logger.info({ update: helpUpdate(4, CHAT) }, "update");
    logger.info({ mailer: { transport: config.smtp?.url } }, `key ${chatIdKey}`);
    logger.info(`token is ${TOKEN} and the chat is chat_id=${CHAT}`);
    logger.child({ route: `/bot${TOKEN}/getMe` }).info("child bindings");

    const out = text();
    expect(out).toContain("Forbidden: bot was blocked by the user");
    expect(out).toContain("ECONNREFUSED");
    expectNoSecrets(out);
    expect(out).not.toContain(smtpPassword);
    expect(out).not.toContain(chatIdKey);
    expect(out).not.toContain("Hello Amina");
    expect(out).not.toContain("Haddad");
  });

  it("the notifier's lines on a sent message, a 403, a 400 and a 429: no token, no chat id, no customer name", async () => {
    const site = website(db.sql);
    const chats = [5_081_234_601, 5_081_234_602, 5_081_234_603, 5_081_234_604];
    for (const chat of chats) {
      const userId = await site.createUser({
        chatId: cipher.encrypt(chat),
        firstName: "Amina",
        lastName: "Haddad",
      });
      await site.uploadFile(userId, "stage1.bin");
    }
    telegram.failChat(chats[1] as number, { kind: "blocked" });
    telegram.failNext(1, { kind: "chatNotFound" }, { chatId: chats[2] });
    telegram.failNext(1, { kind: "tooManyRequests", retryAfter: 1 }, { chatId: chats[3] });
    const { logger, text } = capture("trace", [TOKEN]);
    const { notifier, events } = startNotifier(db, telegram, { logger });
    await notifier.start();
    try {
      await telegram.waitForMessages(1, { chatId: chats[0] });
      await telegram.waitForMessages(1, { chatId: chats[3], timeoutMs: 20_000 });
      await until(() => events.filter((e) => e.type === "failed").length === 2);
    } finally {
      await notifier.stop();
      telegram.clearFaults();
    }
    const out = text();
    expect(out).toContain("✅ Telegram notification sent");
    expect(out).toContain("the customer blocked the bot");
    expect(out).toContain("Telegram refused the message");
    expect(out).toContain("Telegram asks to slow down");
    expect(out).not.toContain(SECRET_PART);
    for (const chat of chats) expect(out).not.toContain(String(chat));
    expect(out).not.toContain("Amina");
    expect(out).not.toContain("Haddad");
  });

  it("LOG_LEVEL=debug: graphile-migrate's lines are JSON with one key of each name", async () => {
    const { logger, lines } = capture("debug");
    await ensureMigrated({ url: db.url, embedded: true }, logger);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(duplicateKeys(line)).toEqual([]);
    // The migration tool's level is kept, under its own name.
    expect(lines.some((l) => JSON.parse(l).sourceLevel !== undefined)).toBe(true);
  });
});

/** Keys that appear twice in one object of `json` (JSON.parse keeps the last silently). */
function duplicateKeys(json: string): string[] {
  JSON.parse(json);
  const found: string[] = [];
  let i = 0;
  const space = () => {
    while (/\s/.test(json[i] ?? "")) i++;
  };
  const string = (): string => {
    const start = i++;
    while (json[i] !== '"') i += json[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(json.slice(start, i)) as string;
  };
  const value = (): void => {
    space();
    const c = json[i];
    if (c === '"') {
      string();
    } else if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      const keys = new Set<string>();
      i++;
      space();
      if (json[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === "{") {
          space();
          const key = string();
          if (keys.has(key)) found.push(key);
          keys.add(key);
          space();
          i++; // the colon
        }
        value();
        space();
        if (json[i++] === close) return;
      }
    } else {
      while (i < json.length && !/[,}\]\s]/.test(json[i] as string)) i++;
    }
  };
  value();
  return found;
}
