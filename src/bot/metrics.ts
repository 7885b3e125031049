import type { Context, MiddlewareFn } from "grammy";
import { type Metrics, UPDATE_TYPES } from "../metrics.ts";
import { commandOf } from "./command.ts";

/**
 * Counts every update by type (telegram_bot_updates_total: UPDATE_TYPES, `other` for the
 * rest) and every /command by name
 * (telegram_bot_commands_total, "other" for unknown ones), before anything else runs and
 * whichever way the update came (long polling or webhook). Installed first by createBot.
 */
export function countUpdates(
  metrics: Pick<Metrics, "updates" | "commands">,
): MiddlewareFn<Context> {
  return (ctx, next) => {
    const key = Object.keys(ctx.update).find((k) => k !== "update_id") ?? "other";
    const type = (UPDATE_TYPES as readonly string[]).includes(key) ? key : "other";
    metrics.updates.inc({ type });
    const command = commandOf(ctx.update.message?.text);
    if (command !== undefined) metrics.commands.inc({ command });
    return next();
  };
}
