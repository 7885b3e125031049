/**
 * Registers the webhook with Telegram (TELEGRAM_WEBHOOK_URL + TELEGRAM_WEBHOOK_SECRET) and
 * prints getWebhookInfo; --delete removes it (back to long polling).
 *   npx tsx scripts/setup-customer-bot-webhook.ts [--delete]
 */
import { Api } from "grammy";
import { loadConfig } from "../src/config.ts";
import { runCli } from "../src/ops/cli.ts";
import { deleteWebhook, explainTelegramError, setupWebhook } from "../src/ops/webhook.ts";

await runCli(async () => {
  const remove = process.argv.includes("--delete");
  const config = loadConfig();
  const api = new Api(config.telegram.token, { apiRoot: config.telegram.apiRoot });
  const { webhookUrl, webhookSecret } = config.telegram;
  if (!remove && (!webhookUrl || !webhookSecret)) {
    throw new Error(
      "set TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET (and TELEGRAM_MODE=webhook) first",
    );
  }
  const info = await (remove
    ? deleteWebhook(api)
    : setupWebhook(api, webhookUrl ?? "", webhookSecret ?? "")
  ).catch((error: unknown) => {
    throw new Error(explainTelegramError(error));
  });
  console.log(remove ? "✅ webhook deleted" : `✅ webhook set to ${webhookUrl}`);
  console.log(`url: ${info.url || "(none: long polling)"}`);
  console.log(`pending updates: ${info.pending_update_count}`);
  if (info.allowed_updates) console.log(`allowed updates: ${info.allowed_updates.join(", ")}`);
  if (info.last_error_message) console.log(`⚠️ last error: ${info.last_error_message}`);
});
