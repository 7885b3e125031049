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
  options: { dataDir?: string; port?: number } = {},
): Promise<Database> {
  if (databaseUrl) return { url: databaseUrl, embedded: false, close: async () => {} };
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
  return { url, embedded: true, close: () => server.stop() };
}
