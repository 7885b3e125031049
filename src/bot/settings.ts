import { Composer, InlineKeyboard } from "grammy";
import {
  MUTABLE_KINDS,
  type MutableKind,
  readSettings,
  setLanguage,
  toggleMutedKind,
  toggleQuietHours,
} from "../data/chat-prefs.ts";
import type { Locale } from "../format.ts";
import { type BotContext, type BotOptions, HTML, linkedAccount, t } from "./context.ts";

/** The language buttons, each in its own language. */
const LANGUAGE_NAMES: ReadonlyArray<[Locale, string]> = [
  ["en", "English"],
  ["fr", "Français"],
  ["ar", "العربية"],
];

/** The buttons' callback data: mute:<kind>, quiet, lang:<locale>. */
const BUTTONS = /^(mute:(files|orders|payments|announcements)|quiet|lang:(en|fr|ar))$/;

/**
 * /settings: buttons that mute or unmute a kind of notification, turn quiet hours on or
 * off and choose the language; each tap saves and redraws the buttons.
 */
export function settings(options: Pick<BotOptions, "sql">): Composer<BotContext> {
  const { sql } = options;
  const composer = new Composer<BotContext>();

  async function keyboard(ctx: BotContext, userId: string): Promise<InlineKeyboard> {
    const m = t(ctx);
    const current = await readSettings(sql, userId);
    const muted = new Set(current.mutedKinds);
    const keys = new InlineKeyboard();
    for (const kind of MUTABLE_KINDS)
      keys.text(`${muted.has(kind) ? "🔕" : "🔔"} ${m.kind[kind]}`, `mute:${kind}`).row();
    keys.text(`${current.quietHours ? "✅" : "⬜"} ${m.quiet}`, "quiet").row();
    for (const [locale, name] of LANGUAGE_NAMES)
      keys.text(`${locale === ctx.state.locale ? "✅ " : ""}${name}`, `lang:${locale}`);
    return keys;
  }

  composer.command("settings", async (ctx) => {
    const account = await linkedAccount(ctx);
    if (!account) return;
    await ctx.reply(t(ctx).settingsTitle, { reply_markup: await keyboard(ctx, account.id) });
  });
  composer.callbackQuery(BUTTONS, async (ctx) => {
    const account = ctx.state.account;
    if (!account) {
      await ctx.answerCallbackQuery();
      await ctx.reply(t(ctx).needLink, HTML);
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
      .editMessageText(t(ctx).settingsTitle, { reply_markup: await keyboard(ctx, account.id) })
      .catch(() => {});
  });
  return composer;
}
