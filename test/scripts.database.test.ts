/**
 * The scripts' database is the service's (src/ops/database.ts, over openDatabase):
 * DATABASE_URL when set, else the embedded PostgreSQL, with the website's tables, stopped
 * when the script is done. Here the embedded server lives in a temporary folder rather
 * than ./.data, which the scripts use.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../src/db/embedded.ts";
import { withServiceDatabase } from "../src/ops/database.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(path.join(tmpdir(), "compucar-scripts-db-"));
});
afterAll(async () => {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

describe("the scripts' database", () => {
  it("DATABASE_URL when it is set", async () => {
    const name = await withServiceDatabase(
      { databaseUrl: db.url, logLevel: "silent" },
      async (sql) => (await sql`SELECT current_database() AS name`)[0]?.name,
    );
    expect(name).toBe(db.name);
  });

  it("a DATABASE_URL lacking migrations: refused with the fix, as npm start, nothing run", async () => {
    const empty = await createTestDatabase({ empty: true });
    try {
      let ran = false;
      const refused = withServiceDatabase(
        { databaseUrl: empty.url, logLevel: "silent" },
        async () => {
          ran = true;
        },
      );
      await expect(refused).rejects.toThrow(
        /^the database lacks \d+ migration\(s\) .*: run `npm run migrate`/,
      );
      expect(ran).toBe(false);
    } finally {
      await empty.drop();
    }
  });

  it("unset: the embedded PostgreSQL with the website's tables, migrated, as npm start; stopped after", async () => {
    const port = await freePort();
    const found = await withServiceDatabase(
      { databaseUrl: undefined, logLevel: "silent" },
      async (sql, url) => {
        const [row] = await sql`
          SELECT to_regclass('public.users') IS NOT NULL AS users,
                 to_regclass('telegram.outbox') IS NOT NULL AS outbox`;
        return { users: row?.users, outbox: row?.outbox, url };
      },
      { embedded: { dataDir: path.join(dir, "postgres"), port } },
    );
    expect(found.users).toBe(true);
    expect(found.outbox).toBe(true);
    expect(new URL(found.url).port).toBe(String(port));
    const probe = postgres(found.url, { max: 1, connect_timeout: 5, onnotice: () => {} });
    await expect(probe`SELECT 1`).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await probe.end();
  });
});
