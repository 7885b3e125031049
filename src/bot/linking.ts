import { Composer, InlineKeyboard } from "grammy";
import { findCustomerByEmail } from "../data/customers.ts";
import { customerLocale, escapeHtml } from "../format.ts";
import {
  linkChat,
  redeemLinkToken,
  redeemReservedLinkToken,
  requestCode,
  reserveLinkToken,
  unlinkChat,
  verifyCode,
} from "../linking/link.ts";
import { type BotContext, type BotOptions, HTML, linkedAccount, t } from "./context.ts";
import { MESSAGES } from "./messages.ts";

/**
 * Linking a chat to a website account: /start with a deep-link token, /link email (a code
 * by email, or at once with LINK_VERIFICATION=none), /verify code, /unlink with its
 * confirmation buttons. /start without a token welcomes the customer.
 */
export function linking(options: BotOptions): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command("start", async (ctx) => {
    const token = ctx.match.trim();
    const account = ctx.state.account;
    if (token) {
      if (account) {
        const other = await reserveLinkToken(options.sql, token, {
          chatFingerprint: ctx.state.chatFingerprint,
          unlessFor: account.id,
        });
        if (other) {
          const m = t(ctx);
          await ctx.reply(m.relinkConfirm(escapeHtml(maskEmail(other.email))), {
            ...HTML,
            reply_markup: new InlineKeyboard()
              .text(m.relinkYes, "relink:yes")
              .text(m.relinkNo, "relink:no"),
          });
          return;
        }
      }
      const userId = await redeemLinkToken(options.sql, token);
      if (!userId) {
        await ctx.reply(t(ctx).badToken);
        return;
      }
      await completeLink(ctx, options, userId, true, "linked with a deep-link token");
      return;
    }
    if (account) await ctx.reply(t(ctx).welcomeBack(escapeHtml(account.firstName)), HTML);
    else
      await ctx.reply(
        options.linkVerification === "none" ? t(ctx).notLinkedQuick : t(ctx).notLinked,
        HTML,
      );
  });
  composer.command("link", (ctx) => startLink(ctx, options, ctx.match));
  composer.command("verify", (ctx) => checkCode(ctx, options, ctx.match.trim()));
  composer.command("unlink", async (ctx) => {
    if (!(await linkedAccount(ctx))) return;
    const m = t(ctx);
    await ctx.reply(m.unlinkConfirm, {
      reply_markup: new InlineKeyboard()
        .text(m.unlinkYes, "unlink:yes")
        .text(m.unlinkNo, "unlink:no"),
    });
  });
  composer.callbackQuery(/^unlink:(yes|no)$/, async (ctx) => {
    const m = t(ctx);
    await ctx.answerCallbackQuery();
    const chatId = ctx.chat?.id;
    if (
      ctx.match[1] === "yes" &&
      chatId !== undefined &&
      (await unlinkChat(options.sql, options.chatIds, chatId, "unlinked with /unlink"))
    ) {
      await ctx.editMessageText(m.unlinked).catch(() => ctx.reply(m.unlinked));
    } else {
      await ctx.editMessageText(m.unlinkCancelled).catch(() => ctx.reply(m.unlinkCancelled));
    }
  });
  // A linked chat that opened another account's deep link: only "yes" relinks it.
  composer.callbackQuery(/^relink:(yes|no)$/, async (ctx) => {
    const m = t(ctx);
    await ctx.answerCallbackQuery();
    const userId = await redeemReservedLinkToken(options.sql, ctx.state.chatFingerprint);
    if (ctx.match[1] === "yes" && userId) {
      await ctx.editMessageReplyMarkup().catch(() => {});
      await completeLink(ctx, options, userId, true, "relinked with a deep-link token, confirmed");
    } else if (ctx.match[1] === "yes") {
      await ctx.editMessageText(m.badToken).catch(() => ctx.reply(m.badToken));
    } else {
      await ctx.editMessageText(m.unlinkCancelled).catch(() => ctx.reply(m.unlinkCancelled));
    }
  });
  return composer;
}

/** An email as a confirmation shows it: first character, dots, domain ("a•••@gmail.com"). */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  const local = at > 0 ? email.slice(0, at) : email;
  return `${Array.from(local)[0] ?? ""}•••${at > 0 ? email.slice(at) : ""}`;
}

/**
 * Messages that are no command: six digits are a code (/verify), an email address starts
 * linking (/link), anything else is not understood. Install it last.
 */
export function otherMessages(options: BotOptions): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.on("message:text", async (ctx) => {
    const text = ctx.message.text.trim();
    if (/^\d{6}$/.test(text)) return checkCode(ctx, options, text);
    if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) return startLink(ctx, options, text);
    await ctx.reply(t(ctx).unknown);
  });
  composer.on("message", (ctx) => ctx.reply(t(ctx).unknown));
  return composer;
}

/**
 * /link email: a code by email, or the link at once with LINK_VERIFICATION=none. The
 * reply never depends on the rollout stage: the code is mailed to any account, and
 * /verify tells the proven owner of an account outside the stage "coming soon".
 */
async function startLink(ctx: BotContext, options: BotOptions, rawEmail: string): Promise<void> {
  const m = t(ctx);
  const email = rawEmail.trim();
  if (
    !/^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{2,}$/.test(email) ||
    email.length > 254 ||
    /\p{Cc}/u.test(email)
  ) {
    await ctx.reply(m.linkUsage, HTML);
    return;
  }
  if (options.linkVerification === "none") {
    await quickLink(ctx, options, email);
    return;
  }
  const { mailer, logger } = options;
  const result = await requestCode(options.sql, {
    chatFingerprint: ctx.state.chatFingerprint,
    email,
    pepper: options.chatIds.linkCodeKey,
    // Not awaited by requestCode: the reply never waits for SMTP, nor tells its failure.
    send: async (to, code, firstName) => {
      try {
        if (!mailer) throw new Error("no mailer configured (SMTP_URL)");
        await mailer.send({
          to,
          subject: `CompuCar: your Telegram code ${code}`,
          text: `Hello ${firstName},\n\nYour code to link Telegram to your CompuCar account is: ${code}\n\nIt is valid for 10 minutes. If you did not ask for it, ignore this email.\n\nCompuCar`,
        });
      } catch (error) {
        logger.error(
          { mailError: mailFailure(error) },
          "bot: a verification mail could not be sent",
        );
      }
    },
  });
  await ctx.reply(result.status === "sent" ? m.codeSent : m.rateLimited);
}

/**
 * What is safe to log of a mail failure: nodemailer's code, SMTP command and reply code,
 * never its message (it may quote the address or the server's reply).
 */
function mailFailure(error: unknown): Record<string, unknown> {
  const e = (error ?? {}) as { code?: unknown; command?: unknown; responseCode?: unknown };
  return {
    code: e.code ?? (error instanceof Error ? error.name : "unknown"),
    command: e.command,
    responseCode: e.responseCode,
  };
}

/**
 * /link email with LINK_VERIFICATION=none: links at once when the email belongs to an
 * account no other chat uses and the rollout stage lets in. The reply is the same
 * whatever the outcome, so it does not say whether the email is registered, nor in the
 * stage (a linked customer sees their files with /files).
 */
async function quickLink(ctx: BotContext, options: BotOptions, email: string): Promise<void> {
  const m = t(ctx);
  const chatId = ctx.chat?.id;
  if (chatId === undefined) return;
  if (ctx.state.account) {
    await ctx.reply(m.chatAlreadyLinked);
    return;
  }
  const user = await findCustomerByEmail(options.sql, email);
  if (user) {
    await linkChat(options.sql, options.chatIds, {
      userId: user.id,
      chatId,
      username: ctx.from?.username,
      proven: false,
      detail: "linked by email without verification (LINK_VERIFICATION=none)",
    });
  }
  await ctx.reply(m.quickLinkDone);
}

/** /verify code: links the chat when the emailed code is right. */
async function checkCode(ctx: BotContext, options: BotOptions, code: string): Promise<void> {
  const m = t(ctx);
  if (!/^\d{6}$/.test(code)) {
    await ctx.reply(m.verifyUsage, HTML);
    return;
  }
  const result = await verifyCode(options.sql, {
    chatFingerprint: ctx.state.chatFingerprint,
    code,
    pepper: options.chatIds.linkCodeKey,
  });
  if (result.status === "ok")
    await completeLink(ctx, options, result.userId, true, "linked after email verification");
  else if (result.status === "wrong") await ctx.reply(m.wrongCode(result.triesLeft));
  else if (result.status === "burned") await ctx.reply(m.burned, HTML);
  else if (result.status === "too-many-tries") await ctx.reply(m.tooManyTries, HTML);
  else await ctx.reply(m.noCode, HTML);
}

/**
 * Links the chat to the account and welcomes the customer in the account's language; a
 * chat the account was linked to before is told it no longer gets notifications. The
 * customer proved they own the account (code, deep link), so an account the rollout
 * stage leaves out may hear "coming soon": only its owner learns it.
 */
async function completeLink(
  ctx: BotContext,
  options: BotOptions,
  userId: string,
  proven: boolean,
  detail: string,
): Promise<void> {
  const chatId = ctx.chat?.id;
  if (chatId === undefined) return;
  const result = await linkChat(options.sql, options.chatIds, {
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
          : result.reason === "not-in-rollout"
            ? m.comingSoon
            : m.badToken,
    );
    return;
  }
  const locale = customerLocale({
    website: result.account.language,
    telegram: ctx.from?.language_code,
  });
  ctx.state.locale = locale;
  await ctx.reply(MESSAGES[locale].linked(escapeHtml(result.account.firstName)), HTML);
  if (result.previousChat) {
    await ctx.api.sendMessage(result.previousChat, MESSAGES[locale].movedAway).catch(() => {});
  }
}
