import { type Api, GrammyError } from "grammy";

/** Updates the bot asks Telegram for. */
export const ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"] as const;

/** Registers the webhook (URL + secret) and returns what Telegram then reports, without the secret. */
export async function setupWebhook(api: Api, url: string, secret: string) {
  await api.setWebhook(url, {
    secret_token: secret,
    allowed_updates: [...ALLOWED_UPDATES],
    max_connections: 40,
    drop_pending_updates: false,
  });
  return api.getWebhookInfo();
}

/** Removes the webhook (back to long polling) and returns Telegram's report. */
export async function deleteWebhook(api: Api) {
  await api.deleteWebhook({ drop_pending_updates: false });
  return api.getWebhookInfo();
}

/** One readable line for a Bot API failure, naming the fix when there is one. */
export function explainTelegramError(error: unknown): string {
  if (error instanceof GrammyError && error.error_code === 401) {
    return "TELEGRAM_CUSTOMER_BOT_TOKEN was refused by Telegram (401): copy it again from @BotFather";
  }
  if (error instanceof GrammyError)
    return `Telegram refused: ${error.error_code} ${error.description}`;
  return `could not reach the Bot API: ${error instanceof Error ? error.message : String(error)}`;
}
