/**
 * Registers the webhook with Telegram (TELEGRAM_WEBHOOK_URL + TELEGRAM_WEBHOOK_SECRET) and
 * prints getWebhookInfo; --delete removes it (back to long polling); --info only reads.
 *   npx tsx scripts/setup-customer-bot-webhook.ts [--info | --delete] [--dry-run] [--force]
 */
import { Api } from "grammy";
import { loadConfig } from "../src/config.ts";
import { runScript, UsageError } from "../src/ops/cli.ts";
import {
  ALLOWED_UPDATES,
  deleteWebhook,
  describeWebhookInfo,
  explainTelegramError,
  setupWebhook,
} from "../src/ops/webhook.ts";

const USAGE = `usage: npx tsx scripts/setup-customer-bot-webhook.ts [--dry-run] [--force]
       npx tsx scripts/setup-customer-bot-webhook.ts --delete [--dry-run] [--force]
       npx tsx scripts/setup-customer-bot-webhook.ts --info

Registers the webhook with Telegram (TELEGRAM_WEBHOOK_URL, with TELEGRAM_WEBHOOK_SECRET and
the updates the bot handles) and prints Telegram's getWebhookInfo. Only with
TELEGRAM_MODE=webhook: while a webhook is set, Telegram answers long polling with 409
Conflict, so a service in polling mode would receive no updates. --delete removes it (back
to long polling); it refuses with TELEGRAM_MODE=webhook, where the service would then
receive nothing. The configuration is the service's (environment, .env.local, .env).

Options:
  --info       print getWebhookInfo (URL, pending updates, last error); change nothing
  --delete     remove the webhook: back to long polling
  --dry-run    say what it would change and print getWebhookInfo; change nothing
  --force      set (or delete) the webhook whatever TELEGRAM_MODE says
  -h, --help   this text

Examples:
  npx tsx scripts/setup-customer-bot-webhook.ts --info
  npx tsx scripts/setup-customer-bot-webhook.ts --dry-run
  npx tsx scripts/setup-customer-bot-webhook.ts
  npx tsx scripts/setup-customer-bot-webhook.ts --delete`;

const OPTIONS = {
  info: { type: "boolean" },
  delete: { type: "boolean" },
  "dry-run": { type: "boolean" },
  force: { type: "boolean" },
} as const;

const REFUSED = {
  set: "TELEGRAM_MODE is polling: with a webhook set, Telegram answers the polling service's getUpdates with 409 Conflict and it receives no updates. Set TELEGRAM_MODE=webhook (with TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET), restart the service with it, then run this again; or pass --force",
  delete:
    "TELEGRAM_MODE is webhook: without the webhook Telegram sends the service no updates. Set TELEGRAM_MODE=polling, restart the service with it, then run this again; or pass --force",
};

await runScript({ usage: USAGE, options: OPTIONS }, async ({ values }) => {
  if (values.info && (values.delete || values["dry-run"] || values.force))
    throw new UsageError("--info only reads: it goes with no other option");
  const config = loadConfig();
  const api = new Api(config.telegram.token, { apiRoot: config.telegram.apiRoot });
  const telegram = <T>(call: Promise<T>) =>
    call.catch((error: unknown) => {
      throw new Error(explainTelegramError(error, config.telegram));
    });
  const print = (lines: string[]) => {
    for (const line of lines) console.log(line);
  };
  if (values.info) {
    print(describeWebhookInfo(await telegram(api.getWebhookInfo())));
    return;
  }

  const remove = values.delete === true;
  if (config.telegram.mode !== (remove ? "polling" : "webhook") && !values.force)
    throw new Error(remove ? REFUSED.delete : REFUSED.set);
  const { webhookUrl, webhookSecret } = config.telegram;
  if (!remove && (!webhookUrl || !webhookSecret))
    throw new Error("set TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET first");
  if (values["dry-run"]) {
    console.log(
      remove
        ? "dry run: would delete the webhook (back to long polling); nothing was changed"
        : `dry run: would set the webhook to ${webhookUrl} (with its secret; allowed updates: ${ALLOWED_UPDATES.join(", ")}); nothing was changed`,
    );
    print(describeWebhookInfo(await telegram(api.getWebhookInfo())));
    return;
  }
  const info = await telegram(
    remove ? deleteWebhook(api) : setupWebhook(api, webhookUrl ?? "", webhookSecret ?? ""),
  );
  console.log(remove ? "✅ webhook deleted" : `✅ webhook set to ${webhookUrl}`);
  print(describeWebhookInfo(info));
});
