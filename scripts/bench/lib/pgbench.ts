/** One pgbench round against a benchmark database, with the server's CPU time it cost. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { BenchDatabase } from "./database.ts";
import { serverCpuSeconds } from "./proc.ts";

const run = promisify(execFile);

export interface PgbenchRound {
  /** Transactions per second, as pgbench reports it. */
  tps: number;
  /** CPU time of every process of the server per transaction, µs (NaN without a postmaster). */
  cpuPerTx: number;
}

/** Runs pgbench's `script` file for `seconds` with `clients` clients (2 threads). */
export async function pgbenchRound(
  db: BenchDatabase,
  script: string,
  o: { clients: number; seconds: number },
): Promise<PgbenchRound> {
  const before = db.postmaster ? await serverCpuSeconds(db.postmaster) : Number.NaN;
  const { stdout } = await run(
    "pgbench",
    [
      ...["-n", "-f", script, "-c", String(o.clients), "-j", "2", "-T", String(o.seconds)],
      ...["-h", db.host, "-p", db.port, "-U", db.user, db.database],
    ],
    { env: { ...process.env, PGPASSWORD: db.password } },
  );
  const after = db.postmaster ? await serverCpuSeconds(db.postmaster) : Number.NaN;
  const count = Number(/actually processed: (\d+)/.exec(stdout)?.[1]);
  return {
    tps: Number(/tps = ([\d.]+)/.exec(stdout)?.[1]),
    cpuPerTx: ((after - before) * 1e6) / count,
  };
}
