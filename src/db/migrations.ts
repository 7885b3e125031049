import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { MIGRATE_LOCK } from "./locks.ts";
import { type RepairResult, repairSchema } from "./repair.ts";

/**
 * The project's top-level folder (where `.gmrc`, `migrations/` and `sql/` live): the
 * nearest folder above this module holding package.json (src/db when run from source,
 * dist when run from the bundle `npm start` builds).
 */
export const projectRoot = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));

function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, "../..");
  }
}

/** graphile-migrate's folder of committed migrations. */
export const migrationsFolder = path.join(projectRoot, "migrations");

/** The website fixture: the four website tables, as tests and the demo start from. */
export const websiteSchemaFile = path.join(projectRoot, "sql", "website-schema.sql");

/** Receives graphile-migrate's log lines. */
export type MigrationLog = (level: string, message: string) => void;

/**
 * Applies the committed migrations (graphile-migrate) to the database at `url`, then
 * restores what the website's tools dropped since (src/db/repair.ts: triggers, indexes,
 * our columns and constraint), even when every migration was already applied. Running
 * it twice changes nothing. Returns what was restored and what is still missing.
 *
 * One migrate at a time per database: two deploys starting together (two hosts, a
 * rolling update) would otherwise meet in graphile-migrate's own advisory lock, which it
 * only tries, and the second would fail with "Failed to get exclusive lock". The second
 * waits on MIGRATE_LOCK (saying so), then finds everything applied and repairs nothing.
 */
export async function runMigrations(
  url: string,
  log: MigrationLog = () => {},
): Promise<RepairResult> {
  const lock = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const take = async () =>
      (
        await lock<[{ free: boolean }]>`
          SELECT pg_try_advisory_lock(${MIGRATE_LOCK[0]}, ${MIGRATE_LOCK[1]}) AS free`
      )[0].free;
    if (!(await take())) {
      log("info", "another migrate is running on this database: waiting for it to finish");
      // Tried again and again rather than waited for in one pg_advisory_lock: a statement
      // waiting holds a snapshot, and the other migrate's CREATE INDEX CONCURRENTLY waits
      // for every older snapshot to go: each would wait for the other.
      while (!(await take())) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return await migrateAndRepair(url, log);
  } finally {
    // Ending the session gives the lock back (also when the migration failed).
    await lock.end();
  }
}

async function migrateAndRepair(url: string, log: MigrationLog): Promise<RepairResult> {
  // Loaded here, not with this module: its tree (pg, its pool, its parsers) is ~15 MB of
  // RSS imported alone, and the service only checks a real database (checkMigrations,
  // two queries) when it starts; it migrates only the embedded one.
  const [{ Logger, migrate }, { clearAllPools }] = await Promise.all([
    import("graphile-migrate"),
    import("graphile-migrate/dist/pg.js"),
  ]);
  const logger = new Logger(() => (level, message) => log(level, message));
  // graphile-migrate keeps its pool 200 ms after use, and exits the process if one of its
  // connections dies meanwhile (the embedded server stopping, a test dropping the
  // database). Its connections carry a name of their own, so that once the pool is told
  // to close we can wait until the server has seen every one of them go.
  const named = new URL(url);
  if (!named.searchParams.has("application_name"))
    named.searchParams.set("application_name", MIGRATE_APPLICATION_NAME);
  try {
    await migrate({ connectionString: named.toString(), migrationsFolder, logger });
  } finally {
    // Also when a migration fails (e.g. the refusal over a shared chat id).
    clearAllPools();
    // Never hide the migration's own error behind this one (e.g. the server is down).
    await waitForMigrateConnectionsToClose(url).catch(() => {});
  }
  return repairSchema(url, (message) => log("info", message));
}

async function waitForMigrateConnectionsToClose(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    for (let waited = 0; waited < 3_000; waited += 20) {
      const [{ open }] = await sql<[{ open: number }]>`
        SELECT count(*)::int AS open FROM pg_stat_activity
         WHERE application_name = ${MIGRATE_APPLICATION_NAME} AND pid <> pg_backend_pid()`;
      if (open === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await sql.end();
  }
}

/** application_name of graphile-migrate's connections. */
const MIGRATE_APPLICATION_NAME = "compucar-customer-bot migrate";

/** Loads `sql/website-schema.sql` (the website's tables, without Telegram columns). */
export async function loadWebsiteSchema(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(await readFile(websiteSchemaFile, "utf8"));
  } finally {
    await sql.end();
  }
}

/** What `checkMigrations` found. */
export interface MigrationStatus {
  /** Committed migrations not yet applied to the database, by file name. */
  pending: string[];
}

/**
 * Lists committed migrations that the database has not applied yet. Takes the database's
 * URL (a connection of its own) or a client to reuse (the service's start-up check).
 */
export async function checkMigrations(database: string | postgres.Sql): Promise<MigrationStatus> {
  const files = (await readdir(path.join(migrationsFolder, "committed")))
    .filter((f) => /^[0-9]+(-[-_a-zA-Z0-9]*)?\.sql$/.test(f))
    .sort();
  const sql =
    typeof database === "string" ? postgres(database, { max: 1, onnotice: () => {} }) : database;
  try {
    const [{ exists }] = await sql<[{ exists: boolean }]>`
      SELECT to_regclass('graphile_migrate.migrations') IS NOT NULL AS exists`;
    const applied = new Set<string>();
    if (exists) {
      for (const row of await sql<{ filename: string }[]>`
        SELECT filename FROM graphile_migrate.migrations`) {
        applied.add(row.filename);
      }
    }
    return { pending: files.filter((f) => !applied.has(`${f.slice(0, f.search(/[-.]/))}.sql`)) };
  } finally {
    if (sql !== database) await sql.end();
  }
}
