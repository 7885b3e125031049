import { autoRetry } from "@grammyjs/auto-retry";
import { type RunnerHandle, sequentialize } from "@grammyjs/runner";
import { Bot, type Context, GrammyError, type MiddlewareFn } from "grammy";
import { pino } from "pino";
import { botApiClient } from "../bot-api-http.ts";
import { pickLocale } from "../format.ts";
import type { Logger } from "../log.ts";
import { pollUpdates } from "../polling.ts";
import { blocking } from "./blocking.ts";
import { type BotContext, type BotOptions, chatContext } from "./context.ts";
import { help } from "./help.ts";
import { linking, otherMessages } from "./linking.ts";
import { lists } from "./lists.ts";
import { MESSAGES } from "./messages.ts";
import { countUpdates } from "./metrics.ts";
import { settings } from "./settings.ts";
import { createUsageCounter } from "./usage.ts";

export { COMMANDS } from "./command.ts";
export type { BotOptions } from "./context.ts";

/** The customer bot: a grammY bot that counts usage in memory and writes it periodically. */
export type CustomerBot = Bot<BotContext> & {
  /** Writes the usage counts gathered so far (telegram.command_usage, chat_activity). */
  flushUsage(): Promise<void>;
  /** Stops the periodic usage write and writes what is left: call it after the last update. */
  stopUsage(): Promise<void>;
};

/**
 * The customer bot: private chats only, one chat's updates in order, every command
 * localized (the account's language, else Telegram's, else English; /settings overrides).
 * Usage counters are written every `usageFlushMs` (5 s by default) and by `stopUsage()`.
 */
export function createBot(options: BotOptions): CustomerBot {
  const usage = createUsageCounter(options.sql, options.logger, {
    flushMs: options.usageFlushMs,
  });
  const http = botApiClient({ apiRoot: options.apiRoot, token: options.token });
  const bot = new Bot<BotContext>(options.token, {
    client: { apiRoot: options.apiRoot, fetch: http.fetch },
    ...(options.botInfo ? { botInfo: options.botInfo } : {}),
  });
  // First, so that every transformer installed later (retries...) wraps it.
  bot.api.config.use(http.calls);
  // A reply Telegram holds back (429, flood control: the notifier's sends share the token's
  // 30 messages/s) is sent again after its retry_after, up to BOT_RETRY_SECONDS, instead of
  // lost. Not a 5xx or a dropped connection: the message may have gone out already.
  bot.api.config.use(
    autoRetry({
      maxRetryAttempts: 2,
      maxDelaySeconds: BOT_RETRY_SECONDS,
      rethrowInternalServerErrors: true,
      rethrowHttpErrors: true,
    }),
  );
  // Counted first, so that updates the private-chat guard drops are counted too; one
  // chat's updates in order for long polling and the webhook alike (src/bot/webhook.ts).
  if (options.metrics) bot.use(countUpdates(options.metrics));
  bot.use(boundPendingPerChat(options.pendingPerChat ?? PENDING_PER_CHAT));
  bot.use(sequentialize((ctx: Context) => ctx.chat?.id.toString()));
  bot.use(chatContext(options, usage));
  bot.use(linking(options), lists(options), settings(options), help(options), blocking(options));
  bot.use(otherMessages(options));
  bot.catch(async (error) => {
    const ctx = error.ctx as BotContext;
    options.logger.error(
      { err: error.error, updateId: ctx.update.update_id },
      "bot: an update failed",
    );
    await ctx.reply(MESSAGES[ctx.state?.locale ?? "en"].error).catch(() => {});
  });
  return Object.assign(bot, { flushUsage: usage.flush, stopUsage: usage.stop });
}

/** The longest retry_after a bot call waits out before it is sent again (at most twice). */
export const BOT_RETRY_SECONDS = 10;

/**
 * Updates one chat may have in the bot at once by default (BotOptions.pendingPerChat), running or waiting their turn behind
 * `sequentialize`. Waiting updates hold the runner's shared slots, so without a bound one
 * flooding chat would make every other chat's replies wait.
 */
export const PENDING_PER_CHAT = 20;

/**
 * Drops a chat's updates beyond `limit` in hand, with one "slow down" reply per flood
 * (not awaited: a dropped update frees its slot at once). Updates without a chat pass.
 */
function boundPendingPerChat(limit: number): MiddlewareFn<BotContext> {
  const pending = new Map<number, number>();
  const told = new Set<number>();
  return async (ctx, next) => {
    const chat = ctx.chat?.id;
    if (chat === undefined) return next();
    const inHand = pending.get(chat) ?? 0;
    if (inHand >= limit) {
      if (!told.has(chat)) {
        told.add(chat);
        ctx.reply(MESSAGES[pickLocale(ctx.from?.language_code)].slowDown).catch(() => {});
      }
      return;
    }
    pending.set(chat, inHand + 1);
    try {
      await next();
    } finally {
      const left = (pending.get(chat) ?? 1) - 1;
      if (left > 0) pending.set(chat, left);
      else {
        pending.delete(chat);
        told.delete(chat);
      }
    }
  };
}

/** Registers the command list in each language (a failure is a warning: the bot still works). */
export async function setCommands(bot: Bot<BotContext>, logger: Logger): Promise<void> {
  for (const locale of ["en", "fr", "ar"] as const) {
    const names = MESSAGES[locale].commands;
    const commands = (Object.keys(names) as Array<keyof typeof names>).map((command) => ({
      command,
      description: names[command],
    }));
    try {
      await bot.api.setMyCommands(commands, locale === "en" ? {} : { language_code: locale });
    } catch (error) {
      logger.warn(
        { err: error instanceof GrammyError ? error.description : String(error) },
        "bot: could not set the command list",
      );
    }
  }
}

/**
 * Long polling as the service runs it (src/polling.ts pollUpdates: @grammyjs/runner's
 * source and sink, getUpdates failures logged and retried): updates of different chats
 * handled concurrently.
 */
export function runBot(
  bot: Bot<BotContext>,
  options: { concurrency?: number; logger?: Logger } = {},
): RunnerHandle {
  if (options.logger) void setCommands(bot, options.logger);
  return pollUpdates(bot, {
    logger: options.logger ?? pino({ level: "silent" }),
    concurrency: options.concurrency,
  }).runner;
}
