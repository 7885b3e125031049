import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { startEmbeddedPostgres } from "../../src/db/embedded.ts";
import { loadWebsiteSchema, runMigrations } from "../../src/db/migrations.ts";

/** A benchmark's own PostgreSQL: the website fixture and our migrations, on an embedded server. */
export interface BenchDatabase {
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
    return {
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

/** The fields of /proc/<pid>/stat after the command name (state first), or undefined. */
async function procStat(pid: number | string): Promise<string[] | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat ? stat.slice(stat.lastIndexOf(")") + 2).split(" ") : undefined;
}

/** Clock ticks per second in /proc/<pid>/stat. */
const TICK = 100;

/** The parent process of `pid` (for a backend: the postmaster). */
export async function parentOf(pid: number): Promise<number | undefined> {
  const f = await procStat(pid);
  return f ? Number(f[1]) : undefined;
}

/** User + system CPU seconds of one process. */
export async function processCpuSeconds(pid: number): Promise<number> {
  const f = (await procStat(pid)) ?? [];
  return (Number(f[11]) + Number(f[12])) / TICK;
}

/** CPU seconds used by the postmaster and its children, living and exited. */
export async function serverCpuSeconds(postmaster: number): Promise<number> {
  let total = 0;
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const f = await procStat(entry);
    if (!f) continue;
    const pid = Number(entry);
    if (pid !== postmaster && Number(f[1]) !== postmaster) continue;
    total += Number(f[11]) + Number(f[12]);
    if (pid === postmaster) total += Number(f[13]) + Number(f[14]);
  }
  return total / TICK;
}
