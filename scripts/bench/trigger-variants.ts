/**
 * Where the cost of our status trigger goes: pgbench runs the website's status UPDATE
 * (8 clients, as website-writes.ts) with one trigger variant at a time, variants rotated
 * round after round, and prints each variant's tps ÷ no trigger and the server's CPU
 * time per transaction (steadier than tps on a shared machine). No notifier listens and
 * is idle (none runs, or it is busy, as under load), so the doorbell's probe finds its
 * lock free and nothing NOTIFYs.
 *
 *   npx tsx scripts/bench/trigger-variants.ts [--seconds 4] [--rounds 5] [--clients 8]
 *
 * The variants, all BEFORE UPDATE with our five-condition test and doorbell unless named:
 * - reference: the one-INSERT AFTER trigger of website-writes.ts (3 columns, one WHEN);
 * - ours: telegram_record_file_change as migrated;
 * - narrow: our test and doorbell, then the reference's 3-column INSERT into a 3-column table;
 * - events-3: 3 values into telegram.events (20 columns);
 * - like-events-3: the same into a copy of telegram.events (LIKE, with its defaults);
 * - four-columns-3: the same 3 values into a 4-column table (recorded_at and those 3);
 * - compact: what the notifier needs of a file change, decided in the trigger (changed
 *   flags, the new values only, one enum turned into text) into a 14-column table;
 * - statement: ours as one AFTER statement trigger reading the transition tables (one
 *   INSERT ... SELECT per UPDATE statement, the test in its WHERE), then the doorbell.
 * Needs `pgbench` on the PATH (Debian: postgresql-client).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { runBenchScript } from "./lib/cli.ts";
import { enableOnly, startBenchDatabase } from "./lib/database.ts";
import { pgbenchRound } from "./lib/pgbench.ts";
import { median } from "./lib/report.ts";
import { REFERENCE_TRIGGER, STATEMENTS, seedLinkedFiles } from "./website-writes.ts";

const TEST = `OLD.status IS DISTINCT FROM NEW.status
     OR (NEW."modifiedR2Key" IS NOT NULL AND OLD."modifiedR2Key" IS DISTINCT FROM NEW."modifiedR2Key")
     OR (NEW."estimatedProcessingTime" IS NOT NULL
         AND (OLD."estimatedProcessingTime" IS DISTINCT FROM NEW."estimatedProcessingTime"
              OR OLD."estimatedProcessingTimeSetAt" IS DISTINCT FROM NEW."estimatedProcessingTimeSetAt"))
     OR (OLD."adminNotes" IS DISTINCT FROM NEW."adminNotes" AND NEW."adminNotes" ~ '[^[:space:]]')
     OR (NEW."paymentStatus" = 'PAID' AND OLD."paymentStatus" IS DISTINCT FROM NEW."paymentStatus")`;
const BELL = `IF telegram.notifier_is_idle() THEN PERFORM pg_notify('telegram_outbox', ''); END IF;`;
const insert3 = (table: string) =>
  `INSERT INTO ${table} (source, user_id, subject_id) VALUES ('file_update', NEW."userId", NEW.id);`;

/** A BEFORE UPDATE variant: our test, `body`, our doorbell. */
const ours = (name: string, body: string) => `
CREATE FUNCTION bench_v_${name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF ${TEST} THEN ${body} ${BELL} END IF; RETURN NEW; END $$;
CREATE TRIGGER bench_v_${name} BEFORE UPDATE ON tuning_files
  FOR EACH ROW EXECUTE FUNCTION bench_v_${name}();`;

/** `TEST` on a pair of transition-table rows instead of OLD and NEW. */
const TEST_ON = (o: string, n: string) =>
  TEST.replaceAll("OLD.", `${o}.`).replaceAll("NEW.", `${n}.`);

const SETUP = `
CREATE TABLE bench_like_events (LIKE telegram.events INCLUDING DEFAULTS);
CREATE TABLE bench_four (recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  source text, user_id text, subject_id text);
CREATE TABLE bench_compact (recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  source text NOT NULL, user_id text NOT NULL, subject_id text NOT NULL, label text,
  status_to text, status_changed boolean, eta_minutes integer, eta_set_at timestamp(3),
  eta_changed boolean, comment text, comment_changed boolean, paid_now boolean,
  modified_changed boolean);
${REFERENCE_TRIGGER}
${ours("narrow", `INSERT INTO bench_reference (user_id, kind, subject_id) VALUES (NEW."userId", 'u', NEW.id);`)}
${ours("events_3", insert3("telegram.events"))}
${ours("like_events_3", insert3("bench_like_events"))}
${ours("four_columns_3", insert3("bench_four"))}
CREATE FUNCTION bench_v_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO telegram.events
    (source, user_id, subject_id, label, old_status, new_status, old_eta, new_eta,
     old_eta_set_at, new_eta_set_at, comment, comment_changed, old_payment, new_payment,
     modified_changed)
  SELECT 'file_update', n."userId", n.id, n."originalFilename", o.status, n.status,
         o."estimatedProcessingTime", n."estimatedProcessingTime",
         o."estimatedProcessingTimeSetAt", n."estimatedProcessingTimeSetAt",
         n."adminNotes", o."adminNotes" IS DISTINCT FROM n."adminNotes",
         o."paymentStatus", n."paymentStatus",
         n."modifiedR2Key" IS NOT NULL AND o."modifiedR2Key" IS DISTINCT FROM n."modifiedR2Key"
    FROM bench_new n JOIN bench_old o ON o.id = n.id
   WHERE ${TEST_ON("o", "n")};
  IF FOUND THEN ${BELL} END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER bench_v_statement AFTER UPDATE ON tuning_files
  REFERENCING OLD TABLE AS bench_old NEW TABLE AS bench_new
  FOR EACH STATEMENT EXECUTE FUNCTION bench_v_statement();
${ours(
  "compact",
  `INSERT INTO bench_compact (source, user_id, subject_id, label, status_to, status_changed,
     eta_minutes, eta_set_at, eta_changed, comment, comment_changed, paid_now, modified_changed)
   VALUES ('file_update', NEW."userId", NEW.id, NEW."originalFilename", NEW.status,
     OLD.status IS DISTINCT FROM NEW.status, NEW."estimatedProcessingTime",
     NEW."estimatedProcessingTimeSetAt",
     OLD."estimatedProcessingTime" IS DISTINCT FROM NEW."estimatedProcessingTime"
       OR OLD."estimatedProcessingTimeSetAt" IS DISTINCT FROM NEW."estimatedProcessingTimeSetAt",
     NEW."adminNotes", OLD."adminNotes" IS DISTINCT FROM NEW."adminNotes",
     NEW."paymentStatus" = 'PAID' AND OLD."paymentStatus" IS DISTINCT FROM NEW."paymentStatus",
     NEW."modifiedR2Key" IS NOT NULL AND OLD."modifiedR2Key" IS DISTINCT FROM NEW."modifiedR2Key");`,
)}
`;

const VARIANTS: Record<string, string[]> = {
  "no trigger": [],
  reference: ["bench_reference_update"],
  ours: ["telegram_record_file_change"],
  narrow: ["bench_v_narrow"],
  "events-3": ["bench_v_events_3"],
  "like-events-3": ["bench_v_like_events_3"],
  "four-columns-3": ["bench_v_four_columns_3"],
  compact: ["bench_v_compact"],
  statement: ["bench_v_statement"],
};

const SCRIPT = STATEMENTS["status UPDATE"];

export async function benchTriggerVariants(o: {
  seconds: number;
  rounds: number;
  clients: number;
}): Promise<void> {
  const db = await startBenchDatabase("variants");
  const dir = await mkdtemp(path.join(tmpdir(), "compucar-variants-"));
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await seedLinkedFiles(sql);
    await sql.unsafe(SETUP);
    await sql`VACUUM ANALYZE`;
    const file = path.join(dir, "script.sql");
    await writeFile(file, SCRIPT);
    const names = Object.keys(VARIANTS);
    const tps = new Map<string, number[]>();
    const cpu = new Map<string, number[]>();
    for (let round = 0; round < o.rounds; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(round + i) % names.length] as string;
        await enableOnly(sql, VARIANTS[name] ?? []);
        await sql`TRUNCATE telegram.events, bench_reference, bench_like_events, bench_four, bench_compact`;
        await sql`VACUUM tuning_files`;
        await sql`CHECKPOINT`;
        const got = await pgbenchRound(db, file, o);
        tps.set(name, [...(tps.get(name) ?? []), got.tps]);
        cpu.set(name, [...(cpu.get(name) ?? []), got.cpuPerTx]);
      }
    }
    const offTps = median(tps.get("no trigger") ?? []);
    const offCpu = median(cpu.get("no trigger") ?? []);
    console.log(
      `variant          tps ÷ none   CPU µs/tx   + over none   (medians of ${o.rounds} rounds of ${o.seconds} s, ${o.clients} clients)`,
    );
    for (const name of names) {
      const t = median(tps.get(name) ?? []);
      const c = median(cpu.get(name) ?? []);
      console.log(
        `${name.padEnd(16)} ${(t / offTps).toFixed(3).padStart(10)} ${c.toFixed(1).padStart(11)} ${(c - offCpu).toFixed(1).padStart(13)}`,
      );
    }
  } finally {
    await sql.end();
    await rm(dir, { recursive: true, force: true });
    await db.stop();
  }
}

await runBenchScript(
  import.meta.url,
  {
    seconds: { type: "string", default: "4" },
    rounds: { type: "string", default: "5" },
    clients: { type: "string", default: "8" },
  },
  async (values) => {
    await benchTriggerVariants({
      seconds: Number(values.seconds),
      rounds: Number(values.rounds),
      clients: Number(values.clients),
    });
    return undefined;
  },
);
