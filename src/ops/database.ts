import pino from "pino";
import postgres from "postgres";
import type { LogLevel } from "../config.ts";
import { openDatabase } from "../db/database.ts";
import { ensureMigrated } from "../db/migration-check.ts";
import { createLogger } from "../log.ts";

/** Options of {@link withServiceDatabase}. */
export interface ServiceDatabaseOptions {
  /**
   * Migrations as `npm start` has them: the embedded database is migrated on the spot, a
   * real one lacking a migration is refused with the fix. Defaults to true; the
   * self-test, which changes nothing and reports missing migrations itself, turns it off.
   */
  migrated?: boolean;
  /** Where the embedded server lives (tests). Defaults to `openDatabase`'s ./.data. */
  embedded?: { dataDir?: string; port?: number };
}

/**
 * Runs `use` on the database the service uses, by the service's own rule
 * (`openDatabase`): `DATABASE_URL`, or the embedded PostgreSQL in `./.data` when it is
 * unset. Log lines (which database, at `logLevel`) go to stderr, so stdout stays the
 * script's output. The connection and an embedded server started here end with it.
 */
export async function withServiceDatabase<T>(
  config: { databaseUrl: string | undefined; logLevel: LogLevel },
  use: (sql: postgres.Sql, url: string) => Promise<T>,
  options: ServiceDatabaseOptions = {},
): Promise<T> {
  const logger = createLogger(config.logLevel, {
    destination: pino.destination({ fd: 2, sync: true }),
    pretty: process.stderr.isTTY === true,
  });
  const database = await openDatabase(config.databaseUrl, logger, options.embedded);
  try {
    if (options.migrated ?? true) await ensureMigrated(database, logger);
    const sql = postgres(database.url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
    try {
      return await use(sql, database.url);
    } finally {
      await sql.end({ timeout: 2 });
    }
  } finally {
    await database.close();
  }
}
