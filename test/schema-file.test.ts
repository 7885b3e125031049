import { readFile } from "node:fs/promises";
import { describe, expect, inject, it } from "vitest";
import {
  generateSchema,
  renderSchema,
  SCHEMA_COMMAND,
  schemaFile,
  withScratchDatabase,
} from "../scripts/schema-dump.ts";
import { loadWebsiteSchema } from "../src/db/migrations.ts";

// sql/telegram-schema.sql is where a reader finds the live definition of every object we
// own; these tests keep it equal to what the migrations build, so CI fails when a
// migration changes the schema and nobody ran the command that rewrites the file.
describe("sql/telegram-schema.sql", () => {
  it("is what the committed migrations leave in a website database", async () => {
    const committed = await readFile(schemaFile, "utf8");
    const generated = await generateSchema(inject("testServerUrl"));
    expect(generated, `sql/telegram-schema.sql is stale: run \`${SCHEMA_COMMAND}\``).toBe(
      committed,
    );
  });

  it("loaded into a website database instead of the migrations, defines the same objects", async () => {
    const committed = await readFile(schemaFile, "utf8");
    const server = inject("testServerUrl");
    const reread = await withScratchDatabase(server, async (websiteUrl, website) => {
      await loadWebsiteSchema(websiteUrl);
      return withScratchDatabase(server, async (loadedUrl, loaded) => {
        await loadWebsiteSchema(loadedUrl);
        await loaded.unsafe(committed);
        return renderSchema(loaded, website);
      });
    });
    expect(reread).toBe(committed);
  });
});
