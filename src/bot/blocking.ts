import { Composer } from "grammy";
import { blockChat, unblockChat } from "../data/chat-prefs.ts";
import type { BotContext, BotOptions } from "./context.ts";

/**
 * A linked customer who blocks the bot (my_chat_member, status `kicked`) gets no more
 * notifications until they unblock it; both are audited (actor `bot`).
 */
export function blocking(options: Pick<BotOptions, "sql">): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.on("my_chat_member", async (ctx) => {
    const status = ctx.myChatMember.new_chat_member.status;
    const account = ctx.state.account;
    if (!account || ctx.chat.type !== "private") return;
    if (status === "kicked") await blockChat(options.sql, account.id, "bot");
    else await unblockChat(options.sql, account.id);
  });
  return composer;
}
