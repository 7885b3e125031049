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

/**
 * The command a message text starts with (`/files`, `/files@CompuCarBot 12`), lowercased:
 * one of COMMANDS, "other" for another /word, undefined when the text is no command.
 */
export function commandOf(text: string | undefined): Command | "other" | undefined {
  if (!text?.startsWith("/")) return undefined;
  const name = /^\/([a-z_]{1,32})(?:@\w+)?(?:\s|$)/i.exec(text)?.[1]?.toLowerCase();
  return name !== undefined && (COMMANDS as readonly string[]).includes(name)
    ? (name as Command)
    : "other";
}

/** The usage counters' name for an update: its command, else text, button or other. */
export function usageName(ctx: Context): Command | "text" | "button" | "other" {
  const command = commandOf(ctx.message?.text);
  if (command !== undefined && command !== "other") return command;
  if (ctx.message) return "text";
  return ctx.callbackQuery ? "button" : "other";
}
