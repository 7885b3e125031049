import type postgres from "postgres";
import { claimUpdate } from "../data/webhook-updates.ts";
import type { WebhookOptions } from "../http.ts";
import type { Logger } from "../log.ts";
import { type CustomerBot, setCommands } from "./bot.ts";

/**
 * The bot's side of the webhook (src/http.ts checks the secret and the body): an update is
 * claimed by its id in telegram.webhook_updates, so a replay by Telegram is dropped, then
 * handed to the bot, whose `sequentialize` keeps one chat's updates in the order they came,
 * as in long polling. The first update initializes the bot (getMe) and sets the command
 * list.
 */
export function webhookReceiver(
  bot: CustomerBot,
  sql: postgres.Sql,
  options: { path: string; secret: string },
  logger: Logger,
): WebhookOptions {
  let ready: Promise<void> | undefined;
  return {
    path: options.path,
    secret: options.secret,
    claim: (updateId) => claimUpdate(sql, updateId),
    handle(update) {
      ready ??= bot.init().then(() => setCommands(bot, logger));
      // Callbacks on one promise run in the order they were added, and handleUpdate reaches
      // sequentialize synchronously: the bot sees the updates in the order they came.
      ready
        .then(() => bot.handleUpdate(update))
        .catch((error) =>
          logger.error({ err: error, updateId: update.update_id }, "webhook update failed"),
        );
    },
  };
}
