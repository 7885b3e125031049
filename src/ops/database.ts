import pino from "pino";
import postgres from "postgres";
import type { LogLevel } from "../config.ts";
import { openDatabase } from "../db/database.ts";
import { createLogger } from "../log.ts";

/**
 * Runs `use` on the database the service uses, by the service's own rule
 * (`openDatabase`): `DATABASE_URL`, or the embedded PostgreSQL in `./.data` when it is
 * unset. Log lines (which database, at `logLevel`) go to stderr, so stdout stays the
 * script's output. The connection and an embedded server started here end with it.
 * `embedded` places the embedded server elsewhere (tests); defaults to `openDatabase`'s.
 */
export async function withServiceDatabase<T>(
  config: { databaseUrl: string | undefined; logLevel: LogLevel },
  use: (sql: postgres.Sql, url: string) => Promise<T>,
  embedded: { dataDir?: string; port?: number } = {},
): Promise<T> {
  const logger = createLogger(config.logLevel, {
    destination: pino.destination({ fd: 2, sync: true }),
    pretty: process.stderr.isTTY === true,
  });
  const database = await openDatabase(config.databaseUrl, logger, embedded);
  try {
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
