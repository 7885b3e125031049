import { Composer, InlineKeyboard } from "grammy";
import { listRecentFiles } from "../data/files.ts";
import { listRecentOrders } from "../data/orders.ts";
import { customerTimeZone, escapeHtml, formatDateTime, truncate } from "../format.ts";
import { FILE_STATUS_LABEL, ORDER_STATUS_LABEL } from "../vocabulary.ts";
import { type BotContext, type BotOptions, HTML, linkedAccount, t } from "./context.ts";

/** /files and /orders: the linked customer's five newest, with a button to the website. */
export function lists(
  options: Pick<BotOptions, "sql" | "websiteUrl" | "shopTimeZone">,
): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command("files", async (ctx) => {
    const account = await linkedAccount(ctx);
    if (!account) return;
    const m = t(ctx);
    const files = await listRecentFiles(options.sql, account.id);
    const keyboard = new InlineKeyboard().url(m.viewAllFiles, `${options.websiteUrl}/files`);
    if (files.length === 0) {
      await ctx.reply(m.filesEmpty, { reply_markup: keyboard });
      return;
    }
    const lines = files.map((f) =>
      [
        `📄 <b>${escapeHtml(truncate(f.name, 80))}</b>`,
        `   ${FILE_STATUS_LABEL[ctx.state.locale][f.status] ?? f.status}${f.eta && f.status === "PENDING" ? ` · ${m.eta(f.eta)}` : ""}`,
        `   ${m.uploaded} ${formatDateTime(new Date(f.uploaded), customerTimeZone(account.timezone, options.shopTimeZone)).slice(0, 10)}`,
      ].join("\n"),
    );
    await ctx.reply(`<b>${m.filesTitle}</b>\n\n${lines.join("\n\n")}`, {
      ...HTML,
      reply_markup: keyboard,
    });
  });
  composer.command("orders", async (ctx) => {
    const account = await linkedAccount(ctx);
    if (!account) return;
    const m = t(ctx);
    const orders = await listRecentOrders(options.sql, account.id);
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
        `🧾 <b>${escapeHtml(o.number)}</b> · ${ORDER_STATUS_LABEL[ctx.state.locale][o.status] ?? o.status}`,
        `   ${m.uploaded} ${formatDateTime(new Date(o.created), customerTimeZone(account.timezone, options.shopTimeZone)).slice(0, 10)}${o.tracking ? ` · ${m.tracking} <code>${escapeHtml(truncate(o.tracking, 60))}</code>` : ""}`,
      ].join("\n"),
    );
    await ctx.reply(`<b>${m.ordersTitle}</b>\n\n${lines.join("\n\n")}`, {
      ...HTML,
      reply_markup: keyboard,
    });
  });
  return composer;
}
