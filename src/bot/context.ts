import type { Context, MiddlewareFn } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type postgres from "postgres";
import type { ChatIdCipher } from "../chat-id.ts";
import { type LinkedAccount, lookUpChat } from "../data/customers.ts";
import { customerLocale, type Locale, pickLocale } from "../format.ts";
import type { Logger } from "../log.ts";
import type { Mailer } from "../mailer.ts";
import type { Metrics } from "../metrics.ts";
import { usageName } from "./command.ts";
import { MESSAGES, type Messages } from "./messages.ts";
import type { UsageCounter } from "./usage.ts";

export interface BotOptions {
  token: string;
  apiRoot: string;
  sql: postgres.Sql;
  chatIds: ChatIdCipher;
  logger: Logger;
  websiteUrl: string;
  /** For customers who never chose a time zone (`customerTimeZone`). Defaults to Africa/Algiers. */
  shopTimeZone?: string;
  linkVerification: "email" | "none";
  mailer?: Mailer;
  /** `hoursFr` and `hoursAr` replace `hours` for customers answered in French or Arabic. */
  support: {
    email?: string;
    phone?: string;
    url?: string;
    hours?: string;
    hoursFr?: string;
    hoursAr?: string;
  };
  /** Skips getMe at start (tests, webhooks). */
  botInfo?: UserFromGetMe;
  /** false: answer nothing. Defaults to true. */
  enabled?: boolean;
  /** How often the usage counters are written, in ms. Defaults to 5,000. */
  usageFlushMs?: number;
  /** Where updates and commands are counted for /metrics. Defaults to nowhere. */
  metrics?: Pick<Metrics, "updates" | "commands">;
  /**
   * Groups remembered as told "private chats only"; beyond this many the longest-known
   * is forgotten (and told again should it write again). Defaults to 10,000.
   */
  groupsRemembered?: number;
  /** Updates one chat may have in the bot at once; beyond it they are dropped. Defaults to 20. */
  pendingPerChat?: number;
}

/** What the handlers know about the chat of an update (set by `chatContext`). */
export interface BotState {
  locale: Locale;
  account: LinkedAccount | undefined;
  chatFingerprint: string;
}
export type BotContext = Context & { state: BotState };

/** Reply options of every HTML reply: parse as HTML, no link previews. */
export const HTML = { parse_mode: "HTML" as const, link_preview_options: { is_disabled: true } };

/** The texts in the chat's language. */
export function t(ctx: BotContext): Messages {
  return MESSAGES[ctx.state.locale];
}

/**
 * Private chats only (a group is told so once, on its first message; other updates without
 * a private chat are dropped), then the chat's account, language and fingerprint in
 * `ctx.state`, and the update counted in the usage counters. With `enabled: false`
 * nothing passes.
 */
export function chatContext(options: BotOptions, usage: UsageCounter): MiddlewareFn<BotContext> {
  // Bounded: anyone can create groups and add the bot, so an unbounded set is a leak.
  const groupsTold = new Set<number>();
  const remembered = options.groupsRemembered ?? 10_000;
  return async (ctx, next) => {
    if (options.enabled === false) return;
    const chat = ctx.chat;
    if (!chat) return;
    if (chat.type !== "private") {
      if (ctx.message && !groupsTold.has(chat.id)) {
        groupsTold.add(chat.id);
        if (groupsTold.size > remembered)
          groupsTold.delete(groupsTold.values().next().value as number);
        await ctx.reply(MESSAGES[pickLocale(ctx.from?.language_code)].privateOnly);
      }
      return;
    }
    const { account, preferredLanguage, chatFingerprint } = await lookUpChat(
      options.sql,
      options.chatIds,
      chat.id,
    );
    ctx.state = {
      locale: customerLocale({
        settings: preferredLanguage,
        website: account?.language,
        telegram: ctx.from?.language_code,
      }),
      account,
      chatFingerprint,
    };
    usage.count(usageName(ctx), chatFingerprint, account !== undefined);
    await next();
  };
}

/** The chat's linked account; without one, the customer is told to link first. */
export async function linkedAccount(ctx: BotContext): Promise<LinkedAccount | undefined> {
  const account = ctx.state.account;
  if (!account) await ctx.reply(t(ctx).needLink, HTML);
  return account;
}
