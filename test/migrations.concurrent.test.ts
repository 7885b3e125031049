import { afterAll, expect, it } from "vitest";
import { MIGRATE_LOCK } from "../src/db/locks.ts";
import { loadWebsiteSchema, runMigrations } from "../src/db/migrations.ts";
import { findMissingObjects } from "../src/db/repair.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { until } from "./support/wait.ts";

// Two deploys (two hosts, a rolling update) may run `npm run migrate` on the same database
// at the same moment. graphile-migrate only tries its own lock: the second used to fail
// with "Failed to get exclusive lock" and the deploy with it.
const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const db of databases) await db.drop();
});

async function websiteDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase({ empty: true });
  databases.push(db);
  await loadWebsiteSchema(db.url);
  return db;
}

it("two deploys migrating the same database at once both succeed, and the result is complete", async () => {
  const db = await websiteDatabase();
  const results = await Promise.allSettled([runMigrations(db.url), runMigrations(db.url)]);
  expect(results.map((r) => (r.status === "rejected" ? String(r.reason) : "ok"))).toEqual([
    "ok",
    "ok",
  ]);
  expect(await findMissingObjects(db.sql)).toEqual([]);
  const [{ triggers }] = await db.sql<[{ triggers: number }]>`
    SELECT count(*)::int AS triggers FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'telegram_%'`;
  expect(triggers).toBeGreaterThan(0);
});

it("a migrate that finds another one running says it waits, then migrates once that one is done", async () => {
  const db = await websiteDatabase();
  const other = await db.sql.reserve();
  await other`SELECT pg_advisory_lock(${MIGRATE_LOCK[0]}, ${MIGRATE_LOCK[1]})`;
  const lines: string[] = [];
  let done = false;
  const migrating = runMigrations(db.url, (_level, message) => lines.push(message)).finally(() => {
    done = true;
  });
  try {
    await until(() => lines.some((line) => line.includes("another migrate is running")), {
      timeoutMs: 30_000,
    });
    expect(done).toBe(false);
  } finally {
    await other`SELECT pg_advisory_unlock(${MIGRATE_LOCK[0]}, ${MIGRATE_LOCK[1]})`;
    other.release();
  }
  await migrating;
  expect(await findMissingObjects(db.sql)).toEqual([]);
});
