import { describe, expect, it } from "vitest";
import { COMMANDS } from "../src/bot/bot.ts";
import { commandOf } from "../src/bot/command.ts";

describe("the command of a message, as /metrics and the usage counters name it", () => {
  it("is each known command, with or without the bot's name, in any case", () => {
    for (const command of COMMANDS) {
      expect(commandOf(`/${command}`)).toBe(command);
      expect(commandOf(`/${command.toUpperCase()}@CompuCarBot some words`)).toBe(command);
    }
  });

  it("is other for an unknown /word or a known one with something glued to it", () => {
    for (const text of ["/", "/nope", "/files_x", "/start123", "/help!", "/start@"])
      expect(commandOf(text)).toBe("other");
  });

  it("is none for text that does not start with a slash", () => {
    for (const text of [undefined, "", "hello /files", " /files", "123456", "a@b.fr"])
      expect(commandOf(text)).toBeUndefined();
  });
});
