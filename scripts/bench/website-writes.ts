/**
 * Cost of our triggers to the website: pgbench runs the website's own statements with
 * the telegram triggers enabled and disabled, alternating rounds in the same run, and
 * prints transactions per second and the ratio (with ÷ without).
 *
 *   npx tsx scripts/bench/website-writes.ts [--seconds 10] [--rounds 3] [--clients 8] [--idle]
 *
 * By default a notifier is busy draining (it holds the doorbell lock), as it is under
 * load, so the triggers only INSERT the outbox row. --idle: no notifier busy, so every
 * write also NOTIFYs (the case of a quiet shop, where throughput does not matter).
 * Needs `pgbench` on the PATH (Debian: postgresql-client). Uses its own embedded PostgreSQL.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import postgres from "postgres";
import { startEmbeddedPostgres } from "../../src/db/embedded.ts";
import { loadWebsiteSchema, runMigrations } from "../../src/db/migrations.ts";

const run = promisify(execFile);

export interface WebsiteWritesResult {
  statement: string;
  withTriggers: number[];
  withoutTriggers: number[];
  /** With only a reference trigger doing one 3-column INSERT into a table without index. */
  withReference: number[];
  ratio: number;
  referenceRatio: number;
}

type Mode = "ours" | "off" | "reference";
const MODES: Mode[] = ["ours", "off", "reference"];

/** The cheapest trigger that records anything: the floor to compare ours with. */
const REFERENCE_TRIGGER = `
CREATE TABLE bench_reference (user_id text, kind text, subject_id text);
CREATE FUNCTION bench_reference() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bench_reference (user_id, kind, subject_id) VALUES (NEW."userId", TG_OP, NEW.id);
  RETURN NULL;
END $$;
CREATE TRIGGER bench_reference_insert AFTER INSERT ON tuning_files
  FOR EACH ROW EXECUTE FUNCTION bench_reference();
CREATE TRIGGER bench_reference_update AFTER UPDATE ON tuning_files
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION bench_reference();
`;

async function setMode(db: postgres.Sql, mode: Mode): Promise<void> {
  await db.unsafe("ALTER TABLE tuning_files DISABLE TRIGGER USER");
  if (mode === "ours") {
    await db.unsafe("ALTER TABLE tuning_files ENABLE TRIGGER telegram_record_file_upload");
    await db.unsafe("ALTER TABLE tuning_files ENABLE TRIGGER telegram_record_file_change");
  } else if (mode === "reference") {
    await db.unsafe("ALTER TABLE tuning_files ENABLE TRIGGER bench_reference_insert");
    await db.unsafe("ALTER TABLE tuning_files ENABLE TRIGGER bench_reference_update");
  }
}

const STATEMENTS = {
  "status UPDATE": `\\set n random(1, 10000)
UPDATE tuning_files
   SET status = (CASE WHEN status = 'PENDING' THEN 'READY' ELSE 'PENDING' END)::"TuningFileStatus",
       "estimatedProcessingTime" = 30, "estimatedProcessingTimeSetAt" = now(),
       "updatedDate" = now(), "updatedAt" = now()
 WHERE id = 'file-' || :n;
`,
  "upload INSERT": `\\set n random(1, 1000)
INSERT INTO tuning_files (id, "userId", "originalFilename", "r2Key", "fileSize", "fileType", "updatedAt")
VALUES (gen_random_uuid()::text, 'user-' || :n, 'stage1_golf_tdi.bin', gen_random_uuid()::text, 524288, 'bin', now());
`,
};

/** Runs the comparison; returns one result per website statement. */
export async function benchWebsiteWrites(options: {
  seconds: number;
  rounds: number;
  clients: number;
  idle: boolean;
  log?: (line: string) => void;
}): Promise<WebsiteWritesResult[]> {
  const log = options.log ?? console.log;
  const dir = await mkdtemp(path.join(tmpdir(), "compucar-bench-"));
  const server = await startEmbeddedPostgres({ dir: path.join(dir, "data") });
  const url = new URL(server.url);
  const sql = postgres(server.url, { max: 1, onnotice: () => {} });
  try {
    await sql`CREATE DATABASE bench`;
    const benchUrl = server.url.replace(/\/postgres$/, "/bench");
    await loadWebsiteSchema(benchUrl);
    await runMigrations(benchUrl);
    const db = postgres(benchUrl, { max: 1, onnotice: () => {} });
    await db`
      INSERT INTO users (id, email, "firstName", "lastName", "updatedAt", "telegramChatId", "telegramLinkedAt")
      SELECT 'user-' || g, 'c' || g || '@example.com', 'First', 'Last', now(), 'tg1:chat' || g, now()
        FROM generate_series(1, 1000) g`;
    await db`
      INSERT INTO tuning_files (id, "userId", "originalFilename", "r2Key", "fileSize", "fileType", status, "updatedAt")
      SELECT 'file-' || g, 'user-' || (1 + g % 1000), 'stage1_golf_tdi.bin', 'key-' || g, 524288, 'bin', 'PENDING', now()
        FROM generate_series(1, 10000) g`;
    const busyNotifier = postgres(benchUrl, { max: 1 });
    if (!options.idle) await busyNotifier`SELECT telegram.notifier_set_busy(true)`;
    await db.unsafe(REFERENCE_TRIGGER);
    await db`VACUUM ANALYZE`;
    const results: WebsiteWritesResult[] = [];
    for (const [statement, script] of Object.entries(STATEMENTS)) {
      const file = path.join(dir, "script.sql");
      await writeFile(file, script);
      const tps: Record<Mode, number[]> = { ours: [], off: [], reference: [] };
      for (let round = 0; round < options.rounds; round++) {
        for (let i = 0; i < MODES.length; i++) {
          const mode = MODES[(round + i) % MODES.length] as Mode;
          await setMode(db, mode);
          await db`TRUNCATE telegram.events, telegram.outbox, bench_reference`;
          await db`CHECKPOINT`;
          const { stdout } = await run(
            "pgbench",
            [
              "-n",
              "-f",
              file,
              "-c",
              String(options.clients),
              "-j",
              "2",
              "-T",
              String(options.seconds),
              "-h",
              url.hostname,
              "-p",
              url.port,
              "-U",
              url.username,
              "bench",
            ],
            { env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) } },
          );
          const value = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
          tps[mode].push(value);
          log(`${statement}: round ${round + 1} ${mode.padEnd(9)} ${value.toFixed(0)} tps`);
        }
      }
      results.push({
        statement,
        withTriggers: tps.ours,
        withoutTriggers: tps.off,
        withReference: tps.reference,
        ratio: median(tps.ours) / median(tps.off),
        referenceRatio: median(tps.reference) / median(tps.off),
      });
    }
    await db.end();
    await busyNotifier.end();
    return results;
  } finally {
    await sql.end();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "5" },
      rounds: { type: "string", default: "5" },
      clients: { type: "string", default: "8" },
      idle: { type: "boolean", default: false },
    },
  });
  const results = await benchWebsiteWrites({
    seconds: Number(values.seconds),
    rounds: Number(values.rounds),
    clients: Number(values.clients),
    idle: values.idle,
  });
  console.log(
    "\nstatement      | tps, no trigger | tps, our triggers | ratio | tps, one-INSERT reference trigger | ratio",
  );
  for (const r of results) {
    const cells = [
      r.statement.padEnd(14),
      median(r.withoutTriggers).toFixed(0).padStart(15),
      median(r.withTriggers).toFixed(0).padStart(17),
      r.ratio.toFixed(3).padStart(5),
      median(r.withReference).toFixed(0).padStart(33),
      r.referenceRatio.toFixed(3).padStart(5),
    ];
    console.log(cells.join(" | "));
  }
  console.log(
    `(medians of ${values.rounds} rounds of ${values.seconds} s, ${values.clients} clients, modes rotated)`,
  );
}
