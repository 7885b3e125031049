/**
 * The service refuses to start while migrations are missing. The embedded PostgreSQL is
 * the service's own, so it is migrated on the spot; a real database is the website's,
 * and the operator migrates it with `npm run migrate` (see README, "The database side").
 */
import type { Logger } from "../log.ts";
import type { Database } from "./database.ts";
import { checkMigrations, runMigrations } from "./migrations.ts";

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
 * migration.
 * @throws MissingMigrationsError when a real database lacks one.
 */
export async function ensureMigrated(
  database: Pick<Database, "url" | "embedded">,
  logger: Logger,
): Promise<void> {
  if (database.embedded) {
    await runMigrations(database.url, (level, message) => logger.debug({ level }, message));
    return;
  }
  const { pending } = await checkMigrations(database.url);
  if (pending.length > 0) throw new MissingMigrationsError(pending);
}
