import path from "node:path";
import postgres from "postgres";
import type { Logger } from "../log.ts";
import { startEmbeddedPostgres } from "./embedded.ts";
import { loadWebsiteSchema, projectRoot } from "./migrations.ts";

/** Where `npm start` keeps its embedded PostgreSQL when `DATABASE_URL` is unset. */
export const EMBEDDED_DATA_DIR = path.join(projectRoot, ".data", "postgres");
/** The embedded server's fixed port, so `psql` finds it between runs. */
export const EMBEDDED_PORT = 54329;
const EMBEDDED_DATABASE = "compucar";

/** The database the service runs on, and how to let go of it. */
export interface Database {
  readonly url: string;
  /**
   * For LISTEN and session advisory locks: `DATABASE_DIRECT_URL` when given, else `url`
   * (a transaction pooler would lose both).
   */
  readonly directUrl: string;
  /** True when the database is the embedded PostgreSQL of `./.data`. */
  readonly embedded: boolean;
  /** Stops the embedded server when this process started it. */
  close(): Promise<void>;
}

/**
 * `DATABASE_URL` when set. Otherwise the embedded PostgreSQL kept in `./.data`
 * (persistent, 127.0.0.1 only, a random superuser password in
 * `./.data/postgres/superuser.password`), with the website's tables created on first use
 * so the service has something to watch. When that server is already running (the service
 * is up and a script starts), this connects to it. The one way the service and the scripts
 * find their database.
 */
export async function openDatabase(
  databaseUrl: string | undefined,
  logger: Logger,
  options: { dataDir?: string; port?: number; directUrl?: string } = {},
): Promise<Database> {
  if (databaseUrl) {
    const directUrl = options.directUrl ?? databaseUrl;
    return { url: databaseUrl, directUrl, embedded: false, close: async () => {} };
  }
  const dir = options.dataDir ?? EMBEDDED_DATA_DIR;
  const server = await startEmbeddedPostgres({
    dir,
    port: options.port ?? EMBEDDED_PORT,
    onLog: (line) => logger.trace({ postgres: line }),
  });
  const url = server.url.replace(/\/postgres$/, `/${EMBEDDED_DATABASE}`);
  logger.info(
    `DATABASE_URL is not set: using the embedded PostgreSQL in ${path.relative(process.cwd(), dir) || dir}${server.started ? "" : ", already running"} (${url.replace(/:[^:@/]+@/, ":***@")})`,
  );
  const admin = postgres(server.url, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${EMBEDDED_DATABASE}`;
    if (!exists) await admin.unsafe(`CREATE DATABASE ${EMBEDDED_DATABASE}`);
  } finally {
    await admin.end();
  }
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [{ present }] = await sql<[{ present: boolean }]>`
      SELECT to_regclass('public.users') IS NOT NULL AS present`;
    if (!present) {
      await loadWebsiteSchema(url);
      logger.info("embedded PostgreSQL: created the website's tables (sql/website-schema.sql)");
    }
  } finally {
    await sql.end();
  }
  return { url, directUrl: url, embedded: true, close: () => server.stop() };
}

/** Runs one statement on a connection (or, behind a pooler, on whichever it hands out). */
export type RunStatement = (statement: string) => Promise<Array<Record<string, unknown>>>;

/**
 * Whether statements sent one after the other on `run` reach the same server session. A
 * transaction pooler (PgBouncer in transaction mode) hands each one to whichever server
 * connection is free: the LISTEN of one statement is not there for the next, nor is a
 * session advisory lock. Checked twice, as a pooler may hand out the same one by chance.
 */
export async function sessionsHold(run: RunStatement): Promise<boolean> {
  const channel = `compucar_session_check_${process.pid}`;
  try {
    for (let i = 0; i < 2; i++) {
      await run(`LISTEN ${channel}`);
      const [row] = await run(
        `SELECT count(*)::int AS n FROM pg_listening_channels() AS c WHERE c = '${channel}'`,
      );
      if (Number(row?.n) !== 1) return false;
    }
    return true;
  } finally {
    await run(`UNLISTEN ${channel}`).catch(() => {});
  }
}

/**
 * At start: warns, naming the setting, when the connection for LISTEN and the advisory
 * locks goes through a transaction pooler. `variable` is where that URL came from.
 */
export async function checkSessionConnection(
  database: Database,
  logger: Logger,
  variable: "DATABASE_URL" | "DATABASE_DIRECT_URL",
): Promise<boolean> {
  const sql = postgres(database.directUrl, { max: 1, onnotice: () => {}, prepare: false });
  try {
    const holds = await sessionsHold((statement) => sql.unsafe(statement));
    if (!holds) {
      logger.warn(
        variable === "DATABASE_URL"
          ? "DATABASE_URL goes through a transaction pooler (PgBouncer in transaction mode?): LISTEN and session advisory locks do nothing there, so notifications wait for the 1 s timer and two instances may both poll. Set DATABASE_DIRECT_URL to a direct (or session-mode) connection to the same database"
          : "DATABASE_DIRECT_URL goes through a transaction pooler too: point it at the database server itself (or a session-mode pool), not at PgBouncer in transaction mode",
      );
    }
    return holds;
  } catch (error) {
    logger.warn({ err: error }, "could not check whether the database connection keeps sessions");
    return true;
  } finally {
    await sql.end({ timeout: 2 });
  }
}
