import { Composer } from "grammy";
import { escapeHtml } from "../format.ts";
import { type BotContext, type BotOptions, HTML, t } from "./context.ts";

/** /help (what the bot can do) and /support (how to reach the shop, from SUPPORT_*). */
export function help(options: Pick<BotOptions, "support">): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command("help", (ctx) => ctx.reply(t(ctx).help));
  composer.command("support", async (ctx) => {
    const m = t(ctx);
    const s = options.support;
    const locale = ctx.state.locale;
    const hours =
      (locale === "fr" ? s.hoursFr : locale === "ar" ? s.hoursAr : undefined) ?? s.hours;
    const lines = [
      s.email && `📧 ${escapeHtml(s.email)}`,
      s.phone && `📞 ${escapeHtml(s.phone)}`,
      s.url && `🌐 ${escapeHtml(s.url)}`,
      hours && `🕐 ${escapeHtml(hours)}`,
    ].filter(Boolean);
    await ctx.reply(
      lines.length > 0 ? `<b>${m.support}</b>\n\n${lines.join("\n")}` : m.supportNone,
      HTML,
    );
  });
  return composer;
}
