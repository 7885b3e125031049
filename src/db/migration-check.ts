/**
 * The service refuses to start while migrations are missing. The embedded PostgreSQL is
 * the service's own, so it is migrated on the spot; a real database is the website's,
 * and the operator migrates it with `npm run migrate` (see README, "The database side").
 */
import postgres from "postgres";
import type { Logger } from "../log.ts";
import type { Database } from "./database.ts";
import { checkMigrations, runMigrations } from "./migrations.ts";
import { explainMissing, findMissingObjects } from "./repair.ts";

/** The database lacks committed migrations; the message names them and the fix. */
export class MissingMigrationsError extends Error {
  override name = "MissingMigrationsError";
  /** The missing migrations, by file name. */
  readonly pending: readonly string[];

  constructor(pending: readonly string[]) {
    super(
      `the database lacks ${pending.length} migration(s) (${pending.join(", ")}): run \`npm run migrate\` with the same DATABASE_URL, then start again`,
    );
    this.pending = pending;
  }
}

/**
 * Migrates the embedded database, or checks that a real one has every committed
 * migration. Then logs an error, with the command that fixes it, when a trigger, index,
 * column or constraint of ours is missing from the website's tables (the website's
 * tools dropped it; src/db/repair.ts): the service starts all the same, its bot works,
 * and /healthz keeps reporting it.
 * @throws MissingMigrationsError when a real database lacks one.
 */
export async function ensureMigrated(
  database: Pick<Database, "url" | "embedded">,
  logger: Logger,
): Promise<void> {
  if (database.embedded)
    await runMigrations(database.url, (level, message) => logger.debug({ level }, message));
  // One connection for both checks: each new one costs start-up a password exchange and
  // a server process.
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  try {
    if (!database.embedded) {
      const { pending } = await checkMigrations(sql);
      if (pending.length > 0) throw new MissingMigrationsError(pending);
    }
    const missing = await findMissingObjects(sql);
    if (missing.length > 0) logger.error({ missing: missing.length }, explainMissing(missing));
  } finally {
    await sql.end();
  }
}
