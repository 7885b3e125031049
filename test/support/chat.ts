import type { RunnerHandle } from "@grammyjs/runner";
import { BotApiDouble } from "../../double/bot-api-double.ts";
import { type BotOptions, type CustomerBot, createBot, runBot } from "../../src/bot/bot.ts";
import { MESSAGES } from "../../src/bot/messages.ts";
import { createLogger } from "../../src/log.ts";
import { createMailer } from "../../src/mailer.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";
import { cipher } from "./notifier-harness.ts";
import { type SmtpSink, startSmtpSink } from "./smtp-sink.ts";
import { until } from "./wait.ts";
import { website } from "./website.ts";

/** A Telegram HTML message as the customer reads it: tags gone, entities decoded. */
export function visible(html: string): string {
  return html
    .replace(/<[^>]+>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

/**
 * How long a test waits for the bot before it gives up: a safety net that ends a hung
 * test, never what a test asserts, generous because the machine may be busy.
 */
export const PATIENCE_MS = 30_000;

/** The bot's generic "something went wrong" reply, in every language: a handler failed. */
const ERROR_REPLIES = new Set<string>(Object.values(MESSAGES).map((m) => m.error));

/** Whether a reply is the generic error reply, which no customer input should cause. */
export function isErrorReply(text: string): boolean {
  return ERROR_REPLIES.has(visible(text));
}

/**
 * Sends `text` as the customer of `chat` and resolves with the bot's next reply, as read.
 * The generic error reply is thrown as a failure: a test never expects a handler to fail.
 */
export async function say(
  telegram: BotApiDouble,
  chat: number,
  text: string,
  language = "en",
  chatType?: "group",
): Promise<string> {
  const before = telegram.sent(chat).length;
  telegram.sendText(chat, text, {
    from: { id: chat, first_name: "Karim", username: "karim", language_code: language },
    chatType,
  });
  const replies = await telegram.waitForMessages(before + 1, {
    chatId: chat,
    timeoutMs: PATIENCE_MS,
  });
  const reply = visible(replies[before]?.text ?? "");
  if (isErrorReply(reply)) throw new Error(`the bot failed on ${JSON.stringify(text)}: ${reply}`);
  return reply;
}

/** The 6-digit code of the `count`-th verification mail to `to`, once it has arrived. */
export async function codeFromMail(smtp: SmtpSink, to: string, count: number): Promise<string> {
  const mail = (await smtp.waitForMails(to, count))[count - 1];
  const code = /code to link Telegram to your CompuCar account is: (\d{6})/.exec(
    mail?.raw ?? "",
  )?.[1];
  if (!code) throw new Error("no code in the mail");
  return code;
}

/** A customer bot polling the Bot API double, on its own database and SMTP sink. */
export interface BotUnderTest {
  db: TestDatabase;
  telegram: BotApiDouble;
  smtp: SmtpSink;
  bot: CustomerBot;
  runner: RunnerHandle;
  site: ReturnType<typeof website>;
  /** Sends `text` as the customer of `chat` and resolves with the bot's next reply, as read. */
  say(chat: number, text: string, language?: string, chatType?: "group"): Promise<string>;
  /** Stops polling, then closes the double, the sink and the database. */
  close(): Promise<void>;
}

/**
 * Starts the customer bot as production runs it (createBot + runBot, long polling) against
 * a fresh database, the Bot API double (@CompuCarBot) and an SMTP sink, with email
 * verification and the shop's support contacts; `overrides` replace any option.
 */
export async function startBotUnderTest(
  overrides: Partial<BotOptions> = {},
): Promise<BotUnderTest> {
  const db = await createTestDatabase();
  const telegram = await BotApiDouble.start({ botUsername: "CompuCarBot" });
  const smtp = await startSmtpSink();
  const bot = createBot({
    token: telegram.token,
    apiRoot: telegram.url,
    sql: db.sql,
    chatIds: cipher,
    logger: createLogger("silent"),
    websiteUrl: "https://compucar.pro",
    linkVerification: "email",
    mailer: createMailer({ url: smtp.url, from: "CompuCar <noreply@compucar.pro>" }),
    support: { email: "support@compucar.pro", phone: "+213 555 00 00 00", hours: "Sun–Thu 9–17" },
    ...overrides,
  });
  const runner = runBot(bot, { logger: createLogger("silent") });
  return {
    db,
    telegram,
    smtp,
    bot,
    runner,
    site: website(db.sql),
    say: (chat, text, language, chatType) => say(telegram, chat, text, language, chatType),
    close: async () => {
      await runner.stop();
      await smtp.close();
      await telegram.close();
      await db.drop();
    },
  };
}

/**
 * Resolves once the polling bot has handled every update up to `updateId`: Telegram saw a
 * getUpdates with a higher offset (so the bot took them) and the runner has none left in
 * hand. The double records a long poll only when it answers, so while the bot's poll
 * waits, a `/help` from `markerChat` wakes it; markers are updates like any other.
 */
export async function handledUpTo(
  telegram: BotApiDouble,
  runner: RunnerHandle,
  updateId: number,
  markerChat: number,
): Promise<void> {
  await until(
    () => {
      const taken = telegram.requests.some(
        (r) => r.method === "getUpdates" && r.status === 200 && Number(r.body.offset) > updateId,
      );
      if (!taken)
        telegram.sendText(markerChat, "/help", { from: { id: markerChat, first_name: "M" } });
      return taken && runner.size() === 0;
    },
    { what: `the bot handling update ${updateId}` },
  );
}
