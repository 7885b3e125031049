/**
 * Where the cost of our status trigger goes: pgbench runs the website's status UPDATE
 * (8 clients, as website-writes.ts) with one trigger variant at a time, variants rotated
 * round after round, and prints each variant's tps ÷ no trigger and the server's CPU
 * time per transaction (steadier than tps on a shared machine). No notifier listens and
 * is idle (none runs, or it is busy, as under load), so the doorbell's probe finds its
 * lock free and nothing NOTIFYs.
 *
 *   npx tsx scripts/bench/trigger-variants.ts [--seconds 4] [--rounds 5] [--clients 8]
 *       [--only ours,ours-copy,...] [--loop 5000]
 *
 * --loop N: instead of pgbench, one session runs the same UPDATE N times in a DO loop,
 * each committed (synchronous_commit off), and the CPU time of that one backend
 * (/proc/<pid>/schedstat) per UPDATE is reported: no client, parser or WAL writer in the
 * figure, and far less disturbed by other load than pgbench's throughput. A local
 * server only (not BENCH_DATABASE_URL).
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
 * - ours-*: copies of telegram_record_file_change (15 values, SECURITY DEFINER, pinned
 *   search_path, EXCEPTION block around the column reads, doorbell) with one part left
 *   out or moved (Parts below): ours-copy is the function as it was before migration
 *   000024 (fills `v` field by field, then PERFORMs a copy of telegram.record_event);
 *   ours-no-set, -no-definer, -no-guard, -no-bell leave that part out of it; ours-inline
 *   does record_event's INSERT and doorbell in the trigger; ours-row-typed builds `v` as
 *   one ROW(...)::telegram.events (what 000024 migrated); ours-direct INSERTs straight
 *   from NEW and OLD after a guard around the test only (a retyped column could then
 *   fail the website's write: a floor, not a candidate); ours-bare has none of the parts.
 * - ours-000024: the file-change trigger of migration 000024, its definition copied from
 *   that file into schema telegram (what "ours" was before 000026), beside the live one;
 * - intake-*: 000024's shape (a copy in public) with one part changed: -events is the copy
 *   itself; -no-insert, -no-row, -no-test leave out the INSERT, then the ROW, then the test;
 *   -one-column INSERTs `v` as one value into a table of one telegram.events column (what
 *   000026 migrated); -split-test tests the status change alone first and the other four
 *   conditions only when it is false (000026); -chain tests the five one by one (ELSIF);
 *   -split-one-column and -chain-one-column combine them; -split-one-column-no-bell is
 *   that without the doorbell's probe and NOTIFY (what the probe costs under 8 clients;
 *   not a candidate: it never rings).
 * With --loop each round is a new session, so its figure includes the backend's first
 * calls (compiling the trigger, filling its caches): compare figures of the same --loop
 * (at most 270,000: the loop's row arithmetic is an integer).
 * Needs `pgbench` on the PATH (Debian: postgresql-client).
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { migrationsFolder } from "../../src/db/migrations.ts";
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

/** The 15 values of a file change, as telegram_record_file_change assigns them to `v`. */
const ASSIGN = `v.user_id := NEW."userId";
    v.subject_id := NEW.id;
    v.label := NEW."originalFilename";
    v.old_status := OLD.status::text;
    v.new_status := NEW.status::text;
    v.old_eta := OLD."estimatedProcessingTime";
    v.new_eta := NEW."estimatedProcessingTime";
    v.old_eta_set_at := OLD."estimatedProcessingTimeSetAt";
    v.new_eta_set_at := NEW."estimatedProcessingTimeSetAt";
    v.comment := NEW."adminNotes";
    v.comment_changed := OLD."adminNotes" IS DISTINCT FROM NEW."adminNotes";
    v.old_payment := OLD."paymentStatus"::text;
    v.new_payment := NEW."paymentStatus"::text;
    v.modified_changed := NEW."modifiedR2Key" IS NOT NULL AND OLD."modifiedR2Key" IS DISTINCT FROM NEW."modifiedR2Key";`;

/** How a copy of telegram_record_file_change differs from the live one. */
interface Parts {
  /** SECURITY DEFINER (default true). */
  definer?: boolean;
  /** SET search_path = pg_catalog, pg_temp (default true). */
  set?: boolean;
  /** The EXCEPTION block around the column reads (default true). */
  guard?: boolean;
  /** The INSERT and doorbell in the trigger instead of a call of telegram.record_event. */
  inline?: boolean;
  /** The doorbell's probe (default true). */
  bell?: boolean;
  /** `v` built by one ROW(...) assignment instead of 15 field assignments (implies inline). */
  row?: boolean;
  /** With `row`: the ROW typed as telegram.events (ROW(...)::telegram.events). */
  typed?: boolean;
  /** With `inline`: INSERT ... VALUES (v.user_id, ...) naming the 15 columns, not SELECT v.*. */
  values?: boolean;
}

const COLUMNS = `source, user_id, subject_id, label, old_status, new_status, old_eta, new_eta,
     old_eta_set_at, new_eta_set_at, comment, comment_changed, old_payment, new_payment,
     modified_changed`;

/** The whole event as one row value, in telegram.events' column order. */
const ROW = `v := ROW(pg_catalog.clock_timestamp(), 'file_update', NEW."userId", NEW.id,
      NEW."originalFilename", OLD.status::text, NEW.status::text,
      OLD."estimatedProcessingTime", NEW."estimatedProcessingTime",
      OLD."estimatedProcessingTimeSetAt", NEW."estimatedProcessingTimeSetAt",
      NEW."adminNotes", OLD."adminNotes" IS DISTINCT FROM NEW."adminNotes",
      OLD."paymentStatus"::text, NEW."paymentStatus"::text,
      NEW."modifiedR2Key" IS NOT NULL AND OLD."modifiedR2Key" IS DISTINCT FROM NEW."modifiedR2Key",
      NULL, NULL, NULL, NULL)`;

/** A copy of our file-change trigger with some of its parts left out or moved. */
const fileChange = (name: string, p: Parts) => {
  const definer = p.definer ?? true;
  const set = p.set ?? true;
  const guard = p.guard ?? true;
  const bell = p.bell ?? true;
  const core = `IF NOT (${TEST.replace('NEW."paymentStatus" = ', 'NEW."paymentStatus"::text = ')}) THEN
      RETURN NEW;
    END IF;
    ${p.row ? `${ROW}${p.typed ? "::telegram.events" : ""};` : ASSIGN}`;
  const guarded = guard
    ? `BEGIN
    ${core}
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'telegram: file change not recorded: %', SQLERRM;
    RETURN NEW;
  END;`
    : core;
  const record =
    p.inline || p.row
      ? `${p.row || p.values ? "" : "v.recorded_at := pg_catalog.clock_timestamp();"}
  ${p.values ? `INSERT INTO telegram.events (recorded_at, ${COLUMNS}) VALUES (pg_catalog.clock_timestamp(), 'file_update', v.user_id, v.subject_id, v.label, v.old_status, v.new_status, v.old_eta, v.new_eta, v.old_eta_set_at, v.new_eta_set_at, v.comment, v.comment_changed, v.old_payment, v.new_payment, v.modified_changed);` : "INSERT INTO telegram.events SELECT v.*;"}
  ${bell ? "IF telegram.notifier_is_idle() THEN PERFORM pg_catalog.pg_notify('telegram_outbox', ''); END IF;" : ""}`
      : `PERFORM public.bench_record_event${bell ? "" : "_no_bell"}(v);`;
  return `
CREATE FUNCTION bench_p_${name}() RETURNS trigger LANGUAGE plpgsql
  ${definer ? "SECURITY DEFINER" : ""} ${set ? "SET search_path = pg_catalog, pg_temp" : ""} AS $$
DECLARE
  v telegram.events;
BEGIN
  ${guarded}
  ${p.row || p.values ? "" : "v.source := 'file_update';"}
  ${record}
  RETURN NEW;
END $$;
CREATE TRIGGER bench_p_${name} BEFORE UPDATE ON tuning_files
  FOR EACH ROW EXECUTE FUNCTION bench_p_${name}();`;
};

/** Copies of telegram.record_event (public schema, found by the copies above). */
const RECORD_EVENT = (name: string, bell: boolean) => `
CREATE FUNCTION public.${name}(p_event telegram.events) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  p_event.recorded_at := clock_timestamp();
  INSERT INTO telegram.events SELECT (p_event).*;
  ${bell ? "IF telegram.notifier_is_idle() THEN PERFORM pg_catalog.pg_notify('telegram_outbox', ''); END IF;" : ""}
END $$;`;

/** The live test (000024: the payment enum compared as text). */
const LIVE_TEST = TEST.replace('NEW."paymentStatus" = ', 'NEW."paymentStatus"::text = ');

/** The live test split: the status change alone first, the other four only when it fails. */
const SPLIT_TEST = `IF OLD.status IS NOT DISTINCT FROM NEW.status THEN
      IF NOT (${LIVE_TEST.slice(LIVE_TEST.indexOf("OR") + 2)}) THEN
        RETURN NEW;
      END IF;
    END IF;`;

/** The live test as a chain: each of the five conditions its own expression, in order. */
const CHAIN_TEST = `IF OLD.status IS DISTINCT FROM NEW.status THEN
      NULL;
    ELSIF NEW."modifiedR2Key" IS NOT NULL AND OLD."modifiedR2Key" IS DISTINCT FROM NEW."modifiedR2Key" THEN
      NULL;
    ELSIF NEW."estimatedProcessingTime" IS NOT NULL
          AND (OLD."estimatedProcessingTime" IS DISTINCT FROM NEW."estimatedProcessingTime"
               OR OLD."estimatedProcessingTimeSetAt" IS DISTINCT FROM NEW."estimatedProcessingTimeSetAt") THEN
      NULL;
    ELSIF OLD."adminNotes" IS DISTINCT FROM NEW."adminNotes" AND NEW."adminNotes" ~ '[^[:space:]]' THEN
      NULL;
    ELSIF NEW."paymentStatus"::text = 'PAID' AND OLD."paymentStatus" IS DISTINCT FROM NEW."paymentStatus" THEN
      NULL;
    ELSE
      RETURN NEW;
    END IF;`;

/** How an intake variant differs from 000024's shape. */
interface Intake {
  /** The type of `v` (default telegram.events). */
  type?: string;
  /** The statement that records `v` (default: INSERT INTO telegram.events SELECT v.*). */
  insert?: string;
  /** The test's statements (default: IF NOT (the live test) THEN RETURN NEW; END IF;). */
  test?: string;
  /** Build `v` (default true). */
  row?: boolean;
  /** The ROW cast to the type of `v` (default true); else PL/pgSQL converts it. */
  cast?: boolean;
  /** The doorbell's probe and NOTIFY (default true). */
  bell?: boolean;
}

/**
 * 000024's shape (SECURITY DEFINER, pinned search_path, the test and one typed ROW in the
 * EXCEPTION block, then the INSERT and the doorbell) with one part changed.
 */
const intake = (name: string, i: Intake) => {
  const type = i.type ?? "telegram.events";
  return `
CREATE FUNCTION bench_i_${name}() RETURNS trigger LANGUAGE plpgsql
  SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v ${type};
BEGIN
  BEGIN
    ${i.test ?? `IF NOT (${LIVE_TEST}) THEN RETURN NEW; END IF;`}
    ${(i.row ?? true) ? `${ROW}${(i.cast ?? true) ? `::${type}` : ""};` : ""}
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'telegram: file change not recorded: %', SQLERRM;
    RETURN NEW;
  END;
  ${i.insert ?? "INSERT INTO telegram.events SELECT v.*;"}
  ${(i.bell ?? true) ? "IF telegram.notifier_is_idle() THEN PERFORM pg_catalog.pg_notify('telegram_outbox', ''); END IF;" : ""}
  RETURN NEW;
END $$;
CREATE TRIGGER bench_i_${name} BEFORE UPDATE ON tuning_files
  FOR EACH ROW EXECUTE FUNCTION bench_i_${name}();`;
};

/** The intake variants ("intake-events" is 000024's shape, a copy in public). */
const INTAKES: Record<string, Intake> = {
  events: {},
  "no-insert": { insert: "" },
  "no-row": { insert: "", row: false },
  "no-test": { insert: "", row: false, test: "" },
  "one-column": { insert: "INSERT INTO public.bench_intake VALUES (v);" },
  "split-test": { test: SPLIT_TEST },
  "split-one-column": { test: SPLIT_TEST, insert: "INSERT INTO public.bench_intake VALUES (v);" },
  chain: { test: CHAIN_TEST },
  "chain-one-column": { test: CHAIN_TEST, insert: "INSERT INTO public.bench_intake VALUES (v);" },
  "split-one-column-untyped": {
    test: SPLIT_TEST,
    insert: "INSERT INTO public.bench_intake VALUES (v);",
    cast: false,
  },
  "split-one-column-no-bell": {
    test: SPLIT_TEST,
    insert: "INSERT INTO public.bench_intake VALUES (v);",
    bell: false,
  },
};

/** The parts variants: each leaves out or moves one thing; "lean" all of them but the guard. */
const PARTS: Record<string, Parts> = {
  copy: {},
  "no-set": { set: false },
  "no-definer": { definer: false, set: false },
  "no-guard": { guard: false },
  "no-bell": { bell: false },
  inline: { inline: true },
  "inline-no-set": { inline: true, set: false },
  bare: { definer: false, set: false, guard: false, inline: true, bell: false },
  row: { row: true },
  "row-no-guard": { row: true, guard: false },
  "row-typed": { row: true, typed: true },
  "inline-values": { inline: true, values: true },
  "row-no-set": { row: true, set: false },
  "row-no-definer": { row: true, set: false, definer: false },
};

export const SETUP = `
CREATE TABLE bench_like_events (LIKE telegram.events INCLUDING DEFAULTS);
CREATE TABLE bench_intake (e telegram.events NOT NULL);

CREATE TABLE bench_four (recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  source text, user_id text, subject_id text);
CREATE TABLE bench_compact (recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  source text NOT NULL, user_id text NOT NULL, subject_id text NOT NULL, label text,
  status_to text, status_changed boolean, eta_minutes integer, eta_set_at timestamp(3),
  eta_changed boolean, comment text, comment_changed boolean, paid_now boolean,
  modified_changed boolean);
${REFERENCE_TRIGGER}
${RECORD_EVENT("bench_record_event", true)}
${RECORD_EVENT("bench_record_event_no_bell", false)}
CREATE FUNCTION bench_p_direct() RETURNS trigger LANGUAGE plpgsql
  SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  BEGIN
    IF NOT (${TEST.replace('NEW."paymentStatus" = ', 'NEW."paymentStatus"::text = ')}) THEN RETURN NEW; END IF;
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'telegram: file change not recorded: %', SQLERRM;
    RETURN NEW;
  END;
  INSERT INTO telegram.events (recorded_at, ${COLUMNS})
  VALUES (clock_timestamp(), 'file_update', NEW."userId", NEW.id, NEW."originalFilename", OLD.status::text, NEW.status::text,
      OLD."estimatedProcessingTime", NEW."estimatedProcessingTime",
      OLD."estimatedProcessingTimeSetAt", NEW."estimatedProcessingTimeSetAt",
      NEW."adminNotes", OLD."adminNotes" IS DISTINCT FROM NEW."adminNotes",
      OLD."paymentStatus"::text, NEW."paymentStatus"::text,
      NEW."modifiedR2Key" IS NOT NULL AND OLD."modifiedR2Key" IS DISTINCT FROM NEW."modifiedR2Key");
  IF telegram.notifier_is_idle() THEN PERFORM pg_catalog.pg_notify('telegram_outbox', ''); END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER bench_p_direct BEFORE UPDATE ON tuning_files
  FOR EACH ROW EXECUTE FUNCTION bench_p_direct();
${Object.entries(PARTS)
  .map(([name, p]) => fileChange(name.replaceAll("-", "_"), p))
  .join("\n")}
${Object.entries(INTAKES)
  .map(([name, i]) => intake(name.replaceAll("-", "_"), i))
  .join("\n")}
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
  "ours-000024": ["bench_000024"],
  narrow: ["bench_v_narrow"],
  "events-3": ["bench_v_events_3"],
  "like-events-3": ["bench_v_like_events_3"],
  "four-columns-3": ["bench_v_four_columns_3"],
  compact: ["bench_v_compact"],
  statement: ["bench_v_statement"],
  ...Object.fromEntries(
    Object.keys(INTAKES).map((name) => [
      `intake-${name}`,
      [`bench_i_${name.replaceAll("-", "_")}`],
    ]),
  ),
  ...Object.fromEntries(
    [...Object.keys(PARTS), "direct"].map((name) => [
      `ours-${name}`,
      [`bench_p_${name.replaceAll("-", "_")}`],
    ]),
  ),
};

const SCRIPT = STATEMENTS["status UPDATE"];

/**
 * The file-change trigger as a migration left it, as a copy in schema telegram beside the
 * live one (bench_000024 and so on): the live function's definition in that file, renamed.
 */
async function migratedCopy(migration: string): Promise<string> {
  const text = await readFile(path.join(migrationsFolder, "committed", `${migration}.sql`), "utf8");
  const start = text.indexOf(
    "CREATE OR REPLACE FUNCTION telegram.tg_tuning_files__record_change()",
  );
  const end = text.indexOf("$function$;", start) + "$function$;".length;
  const name = `bench_${migration.slice(0, 6)}`;
  return `${text
    .slice(start, end)
    .replace("telegram.tg_tuning_files__record_change()", `telegram.${name}()`)}
CREATE TRIGGER ${name} BEFORE UPDATE ON tuning_files FOR EACH ROW EXECUTE FUNCTION telegram.${name}();`;
}

export async function benchTriggerVariants(o: {
  seconds: number;
  rounds: number;
  clients: number;
  /** Only these variants (and "no trigger"); all when empty. */
  only?: string[];
  /** UPDATEs per round in one session's loop instead of pgbench (0: pgbench). */
  loop?: number;
}): Promise<void> {
  const db = await startBenchDatabase("variants");
  const dir = await mkdtemp(path.join(tmpdir(), "compucar-variants-"));
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await seedLinkedFiles(sql);
    await sql.unsafe(SETUP);
    await sql.unsafe(await migratedCopy("000024-one-call-per-row"));
    await sql`VACUUM ANALYZE`;
    const file = path.join(dir, "script.sql");
    await writeFile(file, SCRIPT);
    const names = Object.keys(VARIANTS).filter(
      (n) => !o.only?.length || n === "no trigger" || o.only.includes(n),
    );
    const tps = new Map<string, number[]>();
    const cpu = new Map<string, number[]>();
    for (let round = 0; round < o.rounds; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(round + i) % names.length] as string;
        await enableOnly(sql, VARIANTS[name] ?? []);
        await sql`TRUNCATE telegram.events, telegram.intake, bench_intake, bench_reference, bench_like_events, bench_four, bench_compact`;
        await sql`VACUUM tuning_files`;
        await sql`CHECKPOINT`;
        const got = o.loop ? await loopRound(db.url, o.loop) : await pgbenchRound(db, file, o);
        tps.set(name, [...(tps.get(name) ?? []), got.tps]);
        cpu.set(name, [...(cpu.get(name) ?? []), got.cpuPerTx]);
      }
    }
    const offTps = median(tps.get("no trigger") ?? []);
    const offCpu = median(cpu.get("no trigger") ?? []);
    console.log(
      o.loop
        ? `variant          rate ÷ none  backend CPU µs/UPDATE  + over none   (medians of ${o.rounds} rounds of ${o.loop} UPDATEs, one session)`
        : `variant          tps ÷ none   CPU µs/tx   + over none   (medians of ${o.rounds} rounds of ${o.seconds} s, ${o.clients} clients)`,
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

/** `n` status UPDATEs, each committed, in one session: its backend's CPU µs per UPDATE. */
async function loopRound(url: string, n: number): Promise<{ tps: number; cpuPerTx: number }> {
  const session = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [{ pid }] = await session<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
    const cpuNs = async () =>
      Number((await readFile(`/proc/${pid}/schedstat`, "utf8")).split(" ")[0]);
    await session`SET synchronous_commit = off`;
    const [before, started] = [await cpuNs(), performance.now()];
    await session.unsafe(`DO $$ BEGIN FOR i IN 1..${n} LOOP
      UPDATE tuning_files
         SET status = (CASE WHEN status = 'PENDING' THEN 'READY' ELSE 'PENDING' END)::"TuningFileStatus",
             "estimatedProcessingTime" = 30, "estimatedProcessingTimeSetAt" = now(),
             "updatedDate" = now(), "updatedAt" = now()
       WHERE id = 'file-' || (1 + (i * 7919) % 10000);
      COMMIT;
    END LOOP; END $$`);
    const [after, ended] = [await cpuNs(), performance.now()];
    return { tps: (n * 1000) / (ended - started), cpuPerTx: (after - before) / 1000 / n };
  } finally {
    await session.end();
  }
}

await runBenchScript(
  import.meta.url,
  {
    seconds: { type: "string", default: "4" },
    rounds: { type: "string", default: "5" },
    clients: { type: "string", default: "8" },
    only: { type: "string", default: "" },
    loop: { type: "string", default: "0" },
  },
  async (values) => {
    await benchTriggerVariants({
      seconds: Number(values.seconds),
      rounds: Number(values.rounds),
      clients: Number(values.clients),
      only: String(values.only).split(",").filter(Boolean),
      loop: Number(values.loop),
    });
    return undefined;
  },
);
