import type { BotApiDouble } from "../../double/bot-api-double.ts";

/** A Telegram HTML message as the customer reads it: tags gone, entities decoded. */
export function visible(html: string): string {
  return html
    .replace(/<[^>]+>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

/** Sends `text` as the customer of `chat` and resolves with the bot's next reply, as read. */
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
  const replies = await telegram.waitForMessages(before + 1, { chatId: chat });
  return visible(replies[before]?.text ?? "");
}
