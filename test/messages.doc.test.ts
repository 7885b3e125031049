import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { MESSAGES_COMMAND, messagesFile, renderMessagesDoc } from "../scripts/messages.ts";
import { LOCALES } from "../src/format.ts";
import { text, textKeys } from "../src/i18n.ts";

// docs/messages.md is where wording is reviewed: every message in every language as the
// customer reads it. This keeps it equal to what the renderer makes from locales/*.ftl,
// so CI fails when a text changes and nobody ran the command that rewrites the file.
describe("docs/messages.md", () => {
  it("is what the renderer makes from locales/*.ftl today", async () => {
    const committed = await readFile(messagesFile, "utf8");
    expect(committed, `docs/messages.md is stale: run \`${MESSAGES_COMMAND}\``).toBe(
      renderMessagesDoc(),
    );
  });

  it("shows every bot text in every language", () => {
    const doc = renderMessagesDoc();
    for (const { key } of textKeys("en").filter((k) => !k.key.startsWith("notify-"))) {
      expect(doc).toContain(`### ${key}\n`);
    }
    for (const locale of LOCALES) expect(doc).toContain(text(locale, "unlink-cancelled"));
  });
});
