import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { startEmbeddedPostgres } from "../../../src/db/embedded.ts";
import { loadWebsiteSchema, runMigrations } from "../../../src/db/migrations.ts";
import { parentOf } from "./proc.ts";

/** A benchmark's own PostgreSQL: the website fixture and our migrations, on an embedded server. */
export interface BenchDatabase {
  /** The postmaster's process id, for the server's CPU time (from /proc: a local server's). */
  postmaster: number | undefined;
  /** The migrated database. */
  url: string;
  host: string;
  port: string;
  user: string;
  password: string;
  database: string;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts an embedded PostgreSQL with its default (durable) settings, as a shop would run
 * it: fsync and synchronous_commit on. BENCH_DATABASE_URL (a server where we may CREATE
 * DATABASE) is used instead when set.
 */
export async function startBenchDatabase(name = "bench"): Promise<BenchDatabase> {
  const given = process.env.BENCH_DATABASE_URL;
  let adminUrl: string;
  let stopServer = async () => {};
  if (given) {
    adminUrl = given;
  } else {
    const dir = await mkdtemp(path.join(tmpdir(), "compucar-bench-"));
    const server = await startEmbeddedPostgres({ dir: path.join(dir, "data") });
    adminUrl = server.url;
    stopServer = async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const database = `${name}_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${database}`);
    const u = new URL(adminUrl);
    u.pathname = `/${database}`;
    const url = u.toString();
    await loadWebsiteSchema(url);
    await runMigrations(url);
    const [{ pid }] = await admin<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
    return {
      postmaster: await parentOf(pid),
      url,
      host: u.hostname,
      port: u.port || "5432",
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database,
      stop: async () => {
        await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
        await admin.end();
        await stopServer();
      },
    };
  } catch (error) {
    await admin.end();
    await stopServer();
    throw error;
  }
}

/** Leaves only these of the user triggers on tuning_files enabled. */
export async function enableOnly(sql: postgres.Sql, triggers: readonly string[]): Promise<void> {
  await sql.unsafe("ALTER TABLE public.tuning_files DISABLE TRIGGER USER");
  for (const name of triggers)
    await sql.unsafe(`ALTER TABLE public.tuning_files ENABLE TRIGGER ${name}`);
}
