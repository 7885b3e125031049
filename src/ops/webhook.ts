import { type Api, GrammyError, HttpError } from "grammy";
import type { WebhookInfo } from "grammy/types";

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

/** What to do when Telegram reports that it could not deliver updates to the webhook. */
export const WEBHOOK_ERROR_FIX =
  "check that the URL answers HTTPS with a valid certificate, that the proxy (nginx) passes its path to the service, and that the service runs with TELEGRAM_MODE=webhook (curl its /healthz)";

/** getWebhookInfo as lines: the URL, pending updates, allowed updates, the last error and its fix. */
export function describeWebhookInfo(info: WebhookInfo): string[] {
  const lines = [
    `url: ${info.url || "(none: long polling)"}`,
    `pending updates: ${info.pending_update_count}`,
  ];
  if (info.allowed_updates) lines.push(`allowed updates: ${info.allowed_updates.join(", ")}`);
  if (!info.last_error_message) {
    lines.push("last error: none");
  } else {
    const at = info.last_error_date
      ? ` at ${new Date(info.last_error_date * 1000).toISOString()}`
      : "";
    lines.push(`⚠️ last error${at}: ${info.last_error_message}: ${WEBHOOK_ERROR_FIX}`);
  }
  return lines;
}

/** Where the Bot API is, and the token that must never be shown. */
export interface BotApiTarget {
  readonly apiRoot: string;
  readonly token: string;
}

/**
 * One readable line for a Bot API failure, naming the fix. A network error names the
 * Bot API's URL and why it failed; the token (part of every request's URL) never shows.
 */
export function explainTelegramError(error: unknown, target: BotApiTarget): string {
  if (error instanceof GrammyError) {
    if (error.error_code === 401)
      return "TELEGRAM_CUSTOMER_BOT_TOKEN was refused by Telegram (401): copy it again from @BotFather";
    if (error.error_code === 404)
      return `the Bot API at ${target.apiRoot} answered 404 Not Found: the token is wrong (copy it again from @BotFather) or TELEGRAM_API_ROOT is not a Bot API server`;
    return `Telegram refused: ${error.error_code} ${error.description}: try again in a minute; if it persists, check https://t.me/BotNews and TELEGRAM_API_ROOT`;
  }
  const cause = error instanceof HttpError ? error.error : error;
  const text = cause instanceof Error ? cause.message : String(cause);
  const reason = (/reason: (.*)$/.exec(text)?.[1] ?? text).replaceAll(target.token, "<token>");
  return `could not reach the Bot API at ${target.apiRoot} (${reason}): check that this machine reaches it (DNS, firewall, proxy; curl -sI ${target.apiRoot}) and TELEGRAM_API_ROOT`;
}
