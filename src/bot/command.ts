import type { Context } from "grammy";

/** The commands the bot answers. */
export const COMMANDS = [
  "start",
  "link",
  "verify",
  "unlink",
  "files",
  "orders",
  "settings",
  "support",
  "help",
] as const;
export type Command = (typeof COMMANDS)[number];

/** The usage counters' name for an update: its command, else text, button or other. */
export function usageName(ctx: Context): Command | "text" | "button" | "other" {
  const command = /^\/([a-z]+)/i.exec(ctx.message?.text ?? "")?.[1]?.toLowerCase();
  if (command && (COMMANDS as readonly string[]).includes(command)) return command as Command;
  if (ctx.message) return "text";
  return ctx.callbackQuery ? "button" : "other";
}
