import { type RunnerHandle, run, sequentialize } from "@grammyjs/runner";
import { Bot, type Context, GrammyError, InlineKeyboard } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type postgres from "postgres";
import type { ChatIdCipher } from "../chat-id.ts";
import {
  blockChat,
  MUTABLE_KINDS,
  type MutableKind,
  readSettings,
  setLanguage,
  toggleMutedKind,
  toggleQuietHours,
  unblockChat,
} from "../data/chat-prefs.ts";
import { findCustomerByEmail, type LinkedAccount, lookUpChat } from "../data/customers.ts";
import { listRecentFiles } from "../data/files.ts";
import { listRecentOrders } from "../data/orders.ts";
import { escapeHtml, formatDateTime, type Locale, pickLocale, truncate } from "../format.ts";
import { linkChat, redeemLinkToken, requestCode, unlinkChat, verifyCode } from "../linking/link.ts";
import type { Logger } from "../log.ts";
import type { Mailer } from "../mailer.ts";
import { FILE_STATUS, MESSAGES, ORDER_STATUS } from "./messages.ts";
import { createUsageCounter } from "./usage.ts";

export interface BotOptions {
  token: string;
  apiRoot: string;
  sql: postgres.Sql;
  chatIds: ChatIdCipher;
  logger: Logger;
  websiteUrl: string;
  linkVerification: "email" | "none";
  mailer?: Mailer;
  support: { email?: string; phone?: string; url?: string; hours?: string };
  /** Skips getMe at start (tests, webhooks). */
  botInfo?: UserFromGetMe;
  /** false: answer nothing. Defaults to true. */
  enabled?: boolean;
  /** How often the usage counters are written, in ms. Defaults to 5,000. */
  usageFlushMs?: number;
}

interface BotState {
  locale: Locale;
  account: LinkedAccount | undefined;
  chatFingerprint: string;
}
type BotContext = Context & { state: BotState };

/** The customer bot: a grammY bot that counts usage in memory and writes it periodically. */
export type CustomerBot = Bot<BotContext> & {
  /** Writes the usage counts gathered so far (telegram.command_usage, chat_activity). */
  flushUsage(): Promise<void>;
  /** Stops the periodic usage write and writes what is left: call it after the last update. */
  stopUsage(): Promise<void>;
};

/** The commands the bot answers. */
export const COMMANDS = [
  "start",
  "link",
  "verify",
  "unlink",
  "files",
  "orders",
  "settings",
  "support",
  "help",
] as const;

/**
 * The customer bot: private chats only, one chat's updates in order, every command
 * localized (the account's language, else Telegram's, else English; /settings overrides).
 * Usage counters are written every `usageFlushMs` (5 s by default) and by `stopUsage()`.
 */
export function createBot(options: BotOptions): CustomerBot {
  const { sql, chatIds, logger } = options;
  const usage = createUsageCounter(sql, logger, { flushMs: options.usageFlushMs });
  const bot = new Bot<BotContext>(options.token, {
    client: { apiRoot: options.apiRoot },
    ...(options.botInfo ? { botInfo: options.botInfo } : {}),
  });
  const groupsTold = new Set<number>();

  bot.use(sequentialize((ctx: Context) => ctx.chat?.id.toString()));
  bot.use(async (ctx, next) => {
    if (options.enabled === false) return;
    const chat = ctx.chat;
    if (!chat) return;
    if (chat.type !== "private") {
      if (ctx.message && !groupsTold.has(chat.id)) {
        groupsTold.add(chat.id);
        await ctx.reply(MESSAGES[pickLocale(ctx.from?.language_code)].privateOnly);
      }
      return;
    }
    const { account, preferredLanguage, chatFingerprint } = await lookUpChat(sql, chatIds, chat.id);
    (ctx as BotContext).state = {
      locale: pickLocale(preferredLanguage, account?.language, ctx.from?.language_code),
      account,
      chatFingerprint,
    };
    usage.count(commandName(ctx), chatFingerprint, account !== undefined);
    await next();
  });

  const t = (ctx: BotContext) => MESSAGES[ctx.state.locale];
  const html = { parse_mode: "HTML" as const, link_preview_options: { is_disabled: true } };

  async function completeLink(
    ctx: BotContext,
    userId: string,
    proven: boolean,
    detail: string,
  ): Promise<void> {
    const chatId = ctx.chat?.id;
    if (chatId === undefined) return;
    const result = await linkChat(sql, chatIds, {
      userId,
      chatId,
      username: ctx.from?.username,
      proven,
      detail,
    });
    if (!result.ok) {
      const m = t(ctx);
      await ctx.reply(
        result.reason === "chat-linked-elsewhere"
          ? m.chatLinkedElsewhere
          : result.reason === "account-linked-elsewhere"
            ? m.accountLinkedElsewhere
            : m.emailNotFound,
      );
      return;
    }
    const locale = pickLocale(result.account.language, ctx.from?.language_code);
    ctx.state.locale = locale;
    await ctx.reply(MESSAGES[locale].linked(escapeHtml(result.account.firstName)), html);
    if (result.previousChat) {
      await ctx.api.sendMessage(result.previousChat, MESSAGES[locale].movedAway).catch(() => {});
    }
  }

  async function startLink(ctx: BotContext, rawEmail: string): Promise<void> {
    const m = t(ctx);
    const email = rawEmail.trim();
    if (!/^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{2,}$/.test(email) || email.length > 254) {
      await ctx.reply(m.linkUsage, html);
      return;
    }
    if (options.linkVerification === "none") {
      const user = await findCustomerByEmail(sql, email);
      if (!user) {
        await ctx.reply(m.emailNotFound);
        return;
      }
      await completeLink(
        ctx,
        user.id,
        false,
        "linked by email without verification (LINK_VERIFICATION=none)",
      );
      return;
    }
    const mailer = options.mailer;
    const result = await requestCode(sql, {
      chatFingerprint: ctx.state.chatFingerprint,
      email,
      pepper: options.token,
      send: async (to, code, firstName) => {
        if (!mailer) throw new Error("no mailer configured");
        await mailer.send({
          to,
          subject: `CompuCar: your Telegram code ${code}`,
          text: `Hello ${firstName},\n\nYour code to link Telegram to your CompuCar account is: ${code}\n\nIt is valid for 10 minutes. If you did not ask for it, ignore this email.\n\nCompuCar`,
        });
      },
    });
    await ctx.reply(result.status === "sent" ? m.codeSent : m.rateLimited);
  }

  async function checkCode(ctx: BotContext, code: string): Promise<void> {
    const m = t(ctx);
    if (!/^\d{6}$/.test(code)) {
      await ctx.reply(m.verifyUsage, html);
      return;
    }
    const result = await verifyCode(sql, {
      chatFingerprint: ctx.state.chatFingerprint,
      code,
      pepper: options.token,
    });
    if (result.status === "ok")
      await completeLink(ctx, result.userId, true, "linked after email verification");
    else if (result.status === "wrong") await ctx.reply(m.wrongCode(result.triesLeft));
    else if (result.status === "burned") await ctx.reply(m.burned, html);
    else await ctx.reply(m.noCode, html);
  }

  const linked = (ctx: BotContext): LinkedAccount | undefined => ctx.state.account;

  bot.command("start", async (ctx) => {
    const token = ctx.match.trim();
    if (token) {
      const userId = await redeemLinkToken(sql, token);
      if (!userId) {
        await ctx.reply(t(ctx).badToken);
        return;
      }
      await completeLink(ctx, userId, true, "linked with a deep-link token");
      return;
    }
    const account = linked(ctx);
    if (account) await ctx.reply(t(ctx).welcomeBack(escapeHtml(account.firstName)), html);
    else
      await ctx.reply(
        options.linkVerification === "none" ? t(ctx).notLinkedQuick : t(ctx).notLinked,
        html,
      );
  });
  bot.command("link", (ctx) => startLink(ctx, ctx.match));
  bot.command("verify", (ctx) => checkCode(ctx, ctx.match.trim()));
  bot.command("help", (ctx) => ctx.reply(t(ctx).help));
  bot.command("support", async (ctx) => {
    const m = t(ctx);
    const s = options.support;
    const lines = [
      s.email && `📧 ${escapeHtml(s.email)}`,
      s.phone && `📞 ${escapeHtml(s.phone)}`,
      s.url && `🌐 ${escapeHtml(s.url)}`,
      s.hours && `🕐 ${escapeHtml(s.hours)}`,
    ].filter(Boolean);
    await ctx.reply(
      lines.length > 0 ? `<b>${m.support}</b>\n\n${lines.join("\n")}` : m.supportNone,
      html,
    );
  });
  bot.command("unlink", async (ctx) => {
    const m = t(ctx);
    if (!linked(ctx)) {
      await ctx.reply(m.needLink, html);
      return;
    }
    await ctx.reply(m.unlinkConfirm, {
      reply_markup: new InlineKeyboard()
        .text(m.unlinkYes, "unlink:yes")
        .text(m.unlinkNo, "unlink:no"),
    });
  });
  bot.callbackQuery(/^unlink:(yes|no)$/, async (ctx) => {
    const m = t(ctx);
    await ctx.answerCallbackQuery();
    const chatId = ctx.chat?.id;
    if (
      ctx.match[1] === "yes" &&
      chatId !== undefined &&
      (await unlinkChat(sql, chatIds, chatId, "unlinked with /unlink"))
    ) {
      await ctx.editMessageText(m.unlinked).catch(() => ctx.reply(m.unlinked));
    } else {
      await ctx.editMessageText(m.unlinkCancelled).catch(() => ctx.reply(m.unlinkCancelled));
    }
  });
  bot.command("files", async (ctx) => {
    const m = t(ctx);
    const account = linked(ctx);
    if (!account) {
      await ctx.reply(m.needLink, html);
      return;
    }
    const files = await listRecentFiles(sql, account.id);
    const keyboard = new InlineKeyboard().url(m.viewAllFiles, `${options.websiteUrl}/files`);
    if (files.length === 0) {
      await ctx.reply(m.filesEmpty, { reply_markup: keyboard });
      return;
    }
    const lines = files.map((f) =>
      [
        `📄 <b>${escapeHtml(truncate(f.name, 80))}</b>`,
        `   ${FILE_STATUS[ctx.state.locale][f.status] ?? f.status}${f.eta && f.status === "PENDING" ? ` · ${m.eta(f.eta)}` : ""}`,
        `   ${m.uploaded} ${formatDateTime(new Date(f.uploaded), account.timezone).slice(0, 10)}`,
      ].join("\n"),
    );
    await ctx.reply(`<b>${m.filesTitle}</b>\n\n${lines.join("\n\n")}`, {
      ...html,
      reply_markup: keyboard,
    });
  });
  bot.command("orders", async (ctx) => {
    const m = t(ctx);
    const account = linked(ctx);
    if (!account) {
      await ctx.reply(m.needLink, html);
      return;
    }
    const orders = await listRecentOrders(sql, account.id);
    const keyboard = new InlineKeyboard().url(
      m.viewAllOrders,
      `${options.websiteUrl}/account/orders`,
    );
    if (orders.length === 0) {
      await ctx.reply(m.ordersEmpty, { reply_markup: keyboard });
      return;
    }
    const lines = orders.map((o) =>
      [
        `🧾 <b>${escapeHtml(o.number)}</b> · ${ORDER_STATUS[ctx.state.locale][o.status] ?? o.status}`,
        `   ${m.uploaded} ${formatDateTime(new Date(o.created), account.timezone).slice(0, 10)}${o.tracking ? ` · ${m.tracking} <code>${escapeHtml(truncate(o.tracking, 60))}</code>` : ""}`,
      ].join("\n"),
    );
    await ctx.reply(`<b>${m.ordersTitle}</b>\n\n${lines.join("\n\n")}`, {
      ...html,
      reply_markup: keyboard,
    });
  });

  async function settingsKeyboard(ctx: BotContext, userId: string): Promise<InlineKeyboard> {
    const m = t(ctx);
    const settings = await readSettings(sql, userId);
    const muted = new Set(settings.mutedKinds);
    const keyboard = new InlineKeyboard();
    for (const kind of MUTABLE_KINDS)
      keyboard.text(`${muted.has(kind) ? "🔕" : "🔔"} ${m.kind[kind]}`, `mute:${kind}`).row();
    keyboard.text(`${settings.quietHours ? "✅" : "⬜"} ${m.quiet}`, "quiet").row();
    keyboard.text("English", "lang:en").text("Français", "lang:fr").text("العربية", "lang:ar");
    return keyboard;
  }
  bot.command("settings", async (ctx) => {
    const account = linked(ctx);
    if (!account) {
      await ctx.reply(t(ctx).needLink, html);
      return;
    }
    await ctx.reply(t(ctx).settingsTitle, {
      reply_markup: await settingsKeyboard(ctx, account.id),
    });
  });
  bot.callbackQuery(/^(mute:(files|orders|payments)|quiet|lang:(en|fr|ar))$/, async (ctx) => {
    const account = linked(ctx);
    if (!account) {
      await ctx.answerCallbackQuery();
      await ctx.reply(t(ctx).needLink, html);
      return;
    }
    const [, , kind, lang] = ctx.match;
    if (kind) {
      await toggleMutedKind(sql, account.id, kind as MutableKind);
    } else if (lang) {
      await setLanguage(sql, account.id, lang);
      ctx.state.locale = lang as Locale;
    } else {
      await toggleQuietHours(sql, account.id);
    }
    await ctx.answerCallbackQuery({ text: t(ctx).saved });
    await ctx
      .editMessageText(t(ctx).settingsTitle, {
        reply_markup: await settingsKeyboard(ctx, account.id),
      })
      .catch(() => {});
  });

  bot.on("my_chat_member", async (ctx) => {
    const status = ctx.myChatMember.new_chat_member.status;
    const account = linked(ctx);
    if (!account || ctx.chat.type !== "private") return;
    if (status === "kicked") await blockChat(sql, account.id, "bot");
    else await unblockChat(sql, account.id);
  });

  bot.on("message:text", async (ctx) => {
    const text = ctx.message.text.trim();
    if (/^\d{6}$/.test(text)) return checkCode(ctx, text);
    if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) return startLink(ctx, text);
    await ctx.reply(t(ctx).unknown);
  });
  bot.on("message", (ctx) => ctx.reply(t(ctx).unknown));

  bot.catch(async (error) => {
    const ctx = error.ctx as BotContext;
    logger.error({ err: error.error, updateId: ctx.update.update_id }, "bot: an update failed");
    await ctx.reply(MESSAGES[ctx.state?.locale ?? "en"].error).catch(() => {});
  });
  return Object.assign(bot, { flushUsage: usage.flush, stopUsage: usage.stop });
}

/** The usage counters' name for an update: its command, else text, button or other. */
function commandName(ctx: Context): string {
  const command = /^\/([a-z]+)/i.exec(ctx.message?.text ?? "")?.[1]?.toLowerCase();
  if (command && (COMMANDS as readonly string[]).includes(command)) return command;
  if (ctx.message) return "text";
  return ctx.callbackQuery ? "button" : "other";
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

/** Long polling with @grammyjs/runner: updates of different chats handled concurrently. */
export function runBot(
  bot: Bot<BotContext>,
  options: { concurrency?: number; logger?: Logger } = {},
): RunnerHandle {
  if (options.logger) void setCommands(bot, options.logger);
  return run(bot, {
    runner: { fetch: { allowed_updates: ["message", "callback_query", "my_chat_member"] } },
    sink: { concurrency: options.concurrency ?? 100 },
  });
}
