/**
 * Cost of our triggers to the website: pgbench runs the website's own statements
 * (8 clients) with our triggers, with none, with a reference trigger doing one 3-column
 * INSERT, and with graphile-worker's trigger (add_job, as peer.ts), rotating the modes
 * round after round in the same run, and prints each mode's transactions per second ÷
 * those without triggers (medians). It also reports the server's CPU time per
 * transaction (all of this PostgreSQL's processes, from /proc), which other load on the
 * machine disturbs less than throughput does.
 *
 *   npx tsx scripts/bench/website-writes.ts [--seconds 4] [--rounds 6] [--clients 8] [--idle]
 *
 * By default a notifier is busy draining (it holds the busy locks), as under load, so
 * our triggers only INSERT the event row. --idle: no notifier busy, so every write also
 * NOTIFYs (a quiet shop, where throughput does not matter).
 * Needs `pgbench` on the PATH (Debian: postgresql-client).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { numberOption, runBenchScript } from "./lib/cli.ts";
import { enableOnly, startBenchDatabase } from "./lib/database.ts";
import { pgbenchRound } from "./lib/pgbench.ts";
import { type BenchRow, median } from "./lib/report.ts";
import { installPeer, PEER_TRIGGERS } from "./peer.ts";

type Mode = "off" | "ours" | "reference" | "peer";
const MODES: Mode[] = ["off", "ours", "reference", "peer"];
const TRIGGERS: Record<Mode, string[]> = {
  off: [],
  ours: ["telegram_record_file_upload", "telegram_record_file_change"],
  reference: ["bench_reference_insert", "bench_reference_update"],
  peer: PEER_TRIGGERS,
};

/** The cheapest AFTER trigger that records anything: the floor to compare ours with. */
export const REFERENCE_TRIGGER = `
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

/** The website's statements, as pgbench scripts. */
export const STATEMENTS = {
  "status UPDATE": `\\set n random(1, 10000)
UPDATE tuning_files
   SET status = (CASE WHEN status = 'PENDING' THEN 'READY' ELSE 'PENDING' END)::"TuningFileStatus",
       "estimatedProcessingTime" = 30, "estimatedProcessingTimeSetAt" = now(),
       "updatedDate" = now(), "updatedAt" = now()
 WHERE id = 'file-' || :n;
`,
  "file INSERT": `\\set n random(1, 1000)
INSERT INTO tuning_files (id, "userId", "originalFilename", "r2Key", "fileSize", "fileType", "updatedAt")
VALUES (gen_random_uuid()::text, 'user-' || :n, 'stage1_golf_tdi.bin', gen_random_uuid()::text, 524288, 'bin', now());
`,
};

export interface WebsiteWritesOptions {
  /** Length of one pgbench round. Defaults to 4 s. */
  seconds?: number;
  /** Rounds per mode. Defaults to 6. */
  rounds?: number;
  /** Defaults to 8. */
  clients?: number;
  /** No notifier busy: every write NOTIFYs. Defaults to false. */
  idle?: boolean;
  log?: (line: string) => void;
}

/** Runs the comparison for each website statement; returns the table's rows. */
export async function benchWebsiteWrites(options: WebsiteWritesOptions = {}): Promise<BenchRow[]> {
  const seconds = options.seconds ?? 4;
  const rounds = options.rounds ?? 6;
  const clients = options.clients ?? 8;
  const log = options.log ?? ((line: string) => console.log(line));
  const db = await startBenchDatabase("writes");
  const dir = await mkdtemp(path.join(tmpdir(), "compucar-pgbench-"));
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const busy = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await installPeer(db.url);
    await sql.unsafe(REFERENCE_TRIGGER);
    await seedLinkedFiles(sql);
    if (!options.idle) await busy`SELECT telegram.notifier_set_busy(true)`;
    await sql`VACUUM ANALYZE`;

    const rows: BenchRow[] = [];
    for (const [statement, script] of Object.entries(STATEMENTS)) {
      const file = path.join(dir, "script.sql");
      await writeFile(file, script);
      const tps: Record<Mode, number[]> = { off: [], ours: [], reference: [], peer: [] };
      const cpu: Record<Mode, number[]> = { off: [], ours: [], reference: [], peer: [] };
      for (let round = 0; round < rounds; round++) {
        for (let i = 0; i < MODES.length; i++) {
          const mode = MODES[(round + i) % MODES.length] as Mode;
          await enableOnly(sql, TRIGGERS[mode]);
          await sql`TRUNCATE telegram.events, telegram.outbox, bench_reference,
                             graphile_worker._private_jobs, graphile_worker._private_job_queues CASCADE`;
          await sql`VACUUM tuning_files`;
          await sql`CHECKPOINT`;
          const got = await pgbenchRound(db, file, { clients, seconds });
          tps[mode].push(got.tps);
          cpu[mode].push(got.cpuPerTx);
          log(`${statement}: round ${round + 1} ${mode.padEnd(9)} ${got.tps.toFixed(0)} tps`);
        }
      }
      const ratio = (m: Mode) => median(tps[m]) / median(tps.off);
      const cpuRatio = (m: Mode) => median(cpu.off) / median(cpu[m]);
      rows.push({
        name: `website ${statement}: tps with our triggers ÷ without`,
        value: ratio("ours"),
        unit: "ratio",
        target: { op: ">=", value: 0.9 },
        peer: ratio("peer"),
        beatPeer: true,
        note:
          `tps without ${median(tps.off).toFixed(0)}, ours ${median(tps.ours).toFixed(0)}, ` +
          `one-INSERT reference trigger ${median(tps.reference).toFixed(0)} (${ratio("reference").toFixed(3)}), ` +
          `graphile-worker ${median(tps.peer).toFixed(0)}; server CPU per transaction ` +
          `${median(cpu.off).toFixed(0)} / ${median(cpu.ours).toFixed(0)} / ${median(cpu.reference).toFixed(0)} / ${median(cpu.peer).toFixed(0)} µs ` +
          `(without / ours / reference / graphile-worker: ratios ${cpuRatio("ours").toFixed(3)}, ${cpuRatio("reference").toFixed(3)}, ${cpuRatio("peer").toFixed(3)}); ` +
          `medians of ${rounds} rounds of ${seconds} s, ${clients} clients${options.idle ? ", no notifier busy" : ""}`,
      });
    }
    return rows;
  } finally {
    await busy.end();
    await sql.end();
    await db.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** 1,000 linked customers and 10,000 PENDING files (user-N, file-N), with the triggers off. */
export async function seedLinkedFiles(sql: postgres.Sql): Promise<void> {
  await enableOnly(sql, []);
  await sql`
    INSERT INTO users (id, email, "firstName", "lastName", "updatedAt", "telegramChatId", "telegramLinkedAt")
    SELECT 'user-' || g, 'c' || g || '@example.com', 'First', 'Last', now(), 'tg1:chat' || g, now()
      FROM generate_series(1, 1000) g`;
  await sql`
    INSERT INTO tuning_files (id, "userId", "originalFilename", "r2Key", "fileSize", "fileType", status, "updatedAt")
    SELECT 'file-' || g, 'user-' || (1 + g % 1000), 'stage1_golf_tdi.bin', 'key-' || g, 524288, 'bin', 'PENDING', now()
      FROM generate_series(1, 10000) g`;
}

await runBenchScript(
  import.meta.url,
  {
    seconds: { type: "string", default: "4" },
    rounds: { type: "string", default: "6" },
    clients: { type: "string", default: "8" },
    idle: { type: "boolean", default: false },
  },
  (values) =>
    benchWebsiteWrites({
      seconds: numberOption(values.seconds),
      rounds: numberOption(values.rounds),
      clients: numberOption(values.clients),
      idle: values.idle,
    }),
);
