import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  generateSchema,
  renderSchema,
  SCHEMA_COMMAND,
  schemaFile,
  withEmbeddedServer,
  withScratchDatabase,
} from "../scripts/schema-dump.ts";
import { loadWebsiteSchema } from "../src/db/migrations.ts";

// sql/telegram-schema.sql is where a reader finds the live definition of every object we
// own; these tests keep it equal to what the migrations build, so CI fails when a
// migration changes the schema and nobody ran the command that rewrites the file. They
// run on the embedded server `npm run schema` uses, not the suite's: another PostgreSQL
// version prints some definitions differently (see scripts/schema-dump.ts).
describe("sql/telegram-schema.sql", () => {
  it("is what the committed migrations leave in a website database, and loads back to itself", async () => {
    const committed = await readFile(schemaFile, "utf8");
    await withEmbeddedServer(async (server) => {
      const generated = await generateSchema(server);
      expect(generated, `sql/telegram-schema.sql is stale: run \`${SCHEMA_COMMAND}\``).toBe(
        committed,
      );
      // Loaded into a website database in place of the migrations, the file defines the
      // same objects: it is complete and loads.
      const reread = await withScratchDatabase(server, async (websiteUrl, website) => {
        await loadWebsiteSchema(websiteUrl);
        return withScratchDatabase(server, async (loadedUrl, loaded) => {
          await loadWebsiteSchema(loadedUrl);
          await loaded.unsafe(committed);
          return renderSchema(loaded, website);
        });
      });
      expect(reread, "the file loaded into a website database").toBe(committed);
    });
  });
});
