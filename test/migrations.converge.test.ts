import { spawnSync } from "node:child_process";
import type postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { loadWebsiteSchema, runMigrations } from "../src/db/migrations.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const db of databases) await db.drop();
});

/** A database as the website has it, before our migrations, plus `setup` (the starting point). */
async function startingPoint(setup: string): Promise<TestDatabase> {
  const db = await createTestDatabase({ empty: true });
  databases.push(db);
  await loadWebsiteSchema(db.url);
  await db.sql.unsafe(`
    INSERT INTO users (id, email, "firstName", "lastName", "updatedAt")
    VALUES ('u1', 'a@example.com', 'A', 'One', now()), ('u2', 'b@example.com', 'B', 'Two', now());
    ${setup}`);
  return db;
}

const guideColumns = `
  ALTER TABLE users ADD COLUMN "telegramChatId" TEXT;
  ALTER TABLE users ADD COLUMN "telegramUsername" TEXT;
  ALTER TABLE users ADD COLUMN "telegramLinkedAt" TIMESTAMP(3);
  UPDATE users SET "telegramChatId" = '987654321', "telegramUsername" = 'karim' WHERE id = 'u1';`;

/** Everything the migrations create or change, as the catalogue describes it. */
async function catalogue(sql: postgres.Sql) {
  const q = (text: string) =>
    sql.unsafe(text).then((rows) => rows.map((r) => Object.values(r).join(" | ")));
  return {
    usersColumns: await q(`
      SELECT column_name, data_type, datetime_precision, is_nullable, column_default
        FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'users' ORDER BY column_name`),
    usersConstraints: await q(`
      SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint
       WHERE conrelid = 'public.users'::regclass ORDER BY conname`),
    publicIndexes: await q(`
      SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`),
    invalidIndexes: await q(`SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid`),
    triggers: await q(`
      SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger
       WHERE NOT tgisinternal ORDER BY 1, 2`),
    telegramColumns: await q(`
      SELECT table_name, column_name, data_type, is_nullable, column_default
        FROM information_schema.columns WHERE table_schema = 'telegram' ORDER BY table_name, ordinal_position`),
    telegramIndexes: await q(`
      SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'telegram' ORDER BY indexname`),
    telegramFunctions: await q(`
      SELECT p.oid::regprocedure::text, md5(p.prosrc) FROM pg_proc p
       WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'telegram') ORDER BY 1`),
    telegramViews: await q(`
      SELECT viewname, md5(definition) FROM pg_views WHERE schemaname = 'telegram' ORDER BY viewname`),
    publicTables: await q(`
      SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`),
  };
}

describe("migrations converge from every starting point found in production", () => {
  it("columns missing / added by hand with a UNIQUE constraint / made by prisma db push (unique INDEX): same schema, data kept, second run a no-op", async () => {
    const missing = await startingPoint("");
    const byHand = await startingPoint(`${guideColumns}
      ALTER TABLE users ADD CONSTRAINT "users_telegramChatId_key" UNIQUE ("telegramChatId");`);
    const prismaPush = await startingPoint(`${guideColumns}
      CREATE UNIQUE INDEX "users_telegramChatId_key" ON "users"("telegramChatId");`);

    for (const db of [missing, byHand, prismaPush]) await runMigrations(db.url);
    const expected = await catalogue(missing.sql);
    expect(await catalogue(byHand.sql)).toEqual(expected);
    expect(await catalogue(prismaPush.sql)).toEqual(expected);

    expect(expected.usersConstraints).toContain(
      'users_telegramChatId_key | u | UNIQUE ("telegramChatId")',
    );
    expect(expected.publicTables).toEqual(["orders", "payments", "tuning_files", "users"]);
    for (const db of [byHand, prismaPush]) {
      const [u1] =
        await db.sql`SELECT "telegramChatId", "telegramUsername" FROM users WHERE id = 'u1'`;
      expect(u1).toEqual({ telegramChatId: "987654321", telegramUsername: "karim" });
    }

    for (const db of [missing, byHand, prismaPush]) {
      const applied =
        await db.sql`SELECT filename FROM graphile_migrate.migrations ORDER BY filename`;
      await runMigrations(db.url);
      expect(await catalogue(db.sql)).toEqual(expected);
      expect(
        await db.sql`SELECT filename FROM graphile_migrate.migrations ORDER BY filename`,
      ).toEqual(applied);
    }
  });

  it("an INVALID index left by an interrupted CREATE INDEX CONCURRENTLY is rebuilt", async () => {
    const db = await startingPoint(`${guideColumns}
      UPDATE users SET "telegramChatId" = '987654321' WHERE id = 'u2';`);
    await expect(
      db.sql.unsafe(
        `CREATE UNIQUE INDEX CONCURRENTLY "users_telegramChatId_key" ON users ("telegramChatId")`,
      ),
    ).rejects.toThrow(/could not create unique index/);
    expect((await catalogue(db.sql)).invalidIndexes).toEqual(['"users_telegramChatId_key"']);
    await db.sql`UPDATE users SET "telegramChatId" = NULL WHERE id = 'u2'`;
    await runMigrations(db.url);
    const after = await catalogue(db.sql);
    expect(after.invalidIndexes).toEqual([]);
    expect(after.usersConstraints).toContain(
      'users_telegramChatId_key | u | UNIQUE ("telegramChatId")',
    );
  });
});

describe("a database the unique constraint cannot be built on", () => {
  it("refuses with a message that says what is wrong and how to find it, and changes nothing", async () => {
    const db = await startingPoint(`${guideColumns}
      UPDATE users SET "telegramChatId" = '987654321' WHERE id = 'u2';`);
    const before = await catalogue(db.sql);
    // As the operator runs it: npm run migrate.
    const migrate = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts", "migrate"], {
      env: { PATH: process.env.PATH ?? "", DATABASE_URL: db.url },
      encoding: "utf8",
    });
    expect(migrate.status).toBe(1);
    expect(migrate.stderr).toContain("some Telegram chats are linked to more than one user");
    // How to find them: the migration's HINT reaches the operator.
    expect(migrate.stderr).toContain(
      'SELECT "telegramChatId", array_agg(id) FROM users WHERE "telegramChatId" IS NOT NULL GROUP BY 1 HAVING count(*) > 1;',
    );
    expect(await catalogue(db.sql)).toEqual(before);
    const [{ exists }] = await db.sql<
      [{ exists: boolean }]
    >`SELECT to_regnamespace('telegram') IS NOT NULL AS exists`;
    expect(exists).toBe(false);
  });
});
