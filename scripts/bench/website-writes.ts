/**
 * Cost of our triggers to the website: pgbench runs the website's own statements
 * (8 clients) with no trigger, a reference trigger doing one 3-column INSERT,
 * graphile-worker's trigger (add_job, as peer.ts), and ours with the notifier in each
 * of its states, rotating the modes round after round in the same run, and prints each
 * mode's transactions per second ÷ those without triggers (medians). It also reports the
 * server's CPU time per transaction (all of this PostgreSQL's processes, from /proc),
 * which other load on the machine disturbs less than throughput does.
 *
 *   npx tsx scripts/bench/website-writes.ts [--seconds 4] [--rounds 6] [--clients 8] [--before]
 *
 * Our modes, each with a real notifier (src/notifier, in this process, sending to the
 * Bot API double at 30 messages/s, as Telegram allows) or none:
 * - down: no notifier runs; the doorbell's probe finds its lock free, nothing NOTIFYs;
 * - idle: a notifier listens and is idle when the round starts (it holds its ring
 *   locks): the first write rings, it answers and drains from then on;
 * - draining: a notifier is busy with a backlog of 2,000 events when the round starts.
 * Each of ours must be at least the reference's ratio − 0.03.
 * --before: also the doorbell as it was before migration 000012 (copies of our triggers
 * calling 000007's telegram.notifier_is_idle()), with no notifier (every write NOTIFYs)
 * and with a notifier holding 000007's busy locks.
 * Needs `pgbench` on the PATH (Debian: postgresql-client).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { BotApiDouble } from "../../double/bot-api-double.ts";
import { ChatIdCipher } from "../../src/chat-id.ts";
import { LOCK_CLASS, RING_LOCK_IDS } from "../../src/db/locks.ts";
import type { Notifier } from "../../src/notifier/notifier.ts";
import { BENCH_TOKEN, numberOption, runBenchScript, sleep } from "./lib/cli.ts";
import { type BenchDatabase, enableOnly, startBenchDatabase } from "./lib/database.ts";
import { benchNotifier } from "./lib/notifier.ts";
import { pgbenchRound } from "./lib/pgbench.ts";
import { type BenchRow, median } from "./lib/report.ts";
import { installPeer, PEER_TRIGGERS } from "./peer.ts";

type Mode =
  | "off"
  | "reference"
  | "peer"
  | "down"
  | "idle"
  | "draining"
  | "before-down"
  | "before-busy";
const OURS = ["telegram_record_file_upload", "telegram_record_file_change"];
const BEFORE = ["bench_before_file_upload", "bench_before_file_change"];
const TRIGGERS: Record<Mode, string[]> = {
  off: [],
  reference: ["bench_reference_insert", "bench_reference_update"],
  peer: PEER_TRIGGERS,
  down: OURS,
  idle: OURS,
  draining: OURS,
  "before-down": BEFORE,
  "before-busy": BEFORE,
};
const OUR_MODES = [
  ["down", "notifier down"],
  ["idle", "notifier idle, listening"],
  ["draining", "notifier draining"],
] as const;
/** Allowed below the reference trigger's ratio. */
const SLACK = 0.03;

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

/** 000007's doorbell: true (NOTIFY) unless a notifier holds its busy locks (16..31). */
export const BEFORE_IS_IDLE = `
CREATE FUNCTION bench_before_is_idle() RETURNS boolean LANGUAGE sql VOLATILE AS $$
  SELECT CASE WHEN pg_try_advisory_lock_shared(1952803941, 16 + pg_backend_pid() % 16)
              THEN pg_advisory_unlock_shared(1952803941, 16 + pg_backend_pid() % 16)
              ELSE false END
$$;`;

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
  /** Also the doorbell as it was before migration 000012. Defaults to false. */
  before?: boolean;
  log?: (line: string) => void;
}

/** Runs the comparison for each website statement; returns the table's rows. */
export async function benchWebsiteWrites(options: WebsiteWritesOptions = {}): Promise<BenchRow[]> {
  const seconds = options.seconds ?? 4;
  const rounds = options.rounds ?? 6;
  const clients = options.clients ?? 8;
  const log = options.log ?? ((line: string) => console.log(line));
  const modes = Object.keys(TRIGGERS).filter(
    (m) => options.before || !m.startsWith("before"),
  ) as Mode[];
  const db = await startBenchDatabase("writes");
  const dir = await mkdtemp(path.join(tmpdir(), "compucar-pgbench-"));
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const busy = postgres(db.url, { max: 1, onnotice: () => {} });
  const notifiers = await notifierFactory(db);
  try {
    await installPeer(db.url);
    await sql.unsafe(REFERENCE_TRIGGER);
    if (options.before) await installBefore(sql);
    await seedLinkedFiles(sql);
    await linkChats(sql, notifiers.cipher);
    await sql`VACUUM ANALYZE`;

    const rows: BenchRow[] = [];
    for (const [statement, script] of Object.entries(STATEMENTS)) {
      const file = path.join(dir, "script.sql");
      await writeFile(file, script);
      const tps = Object.fromEntries(modes.map((m) => [m, [] as number[]])) as Record<
        Mode,
        number[]
      >;
      const cpu = Object.fromEntries(modes.map((m) => [m, [] as number[]])) as Record<
        Mode,
        number[]
      >;
      for (let round = 0; round < rounds; round++) {
        for (let i = 0; i < modes.length; i++) {
          const mode = modes[(round + i) % modes.length] as Mode;
          await sql`TRUNCATE telegram.events, telegram.intake, telegram.outbox, bench_reference,
                             graphile_worker._private_jobs, graphile_worker._private_job_queues CASCADE`;
          // The backlog is written with our triggers, before the notifier starts.
          await enableOnly(sql, mode === "draining" ? OURS : []);
          if (mode === "draining") await makeBacklog(sql);
          await enableOnly(sql, TRIGGERS[mode]);
          await sql`VACUUM tuning_files`;
          await sql`CHECKPOINT`;
          if (mode === "before-busy")
            await busy`SELECT pg_advisory_lock(${LOCK_CLASS}, k) FROM generate_series(16, 31) k`;
          const notifier =
            mode === "idle" || mode === "draining" ? await notifiers.start(mode) : undefined;
          try {
            const got = await pgbenchRound(db, file, { clients, seconds });
            tps[mode].push(got.tps);
            cpu[mode].push(got.cpuPerTx);
            log(`${statement}: round ${round + 1} ${mode.padEnd(11)} ${got.tps.toFixed(0)} tps`);
          } finally {
            await notifier?.stop({ timeoutMs: 2_000 });
            if (mode === "before-busy") await busy`SELECT pg_advisory_unlock_all()`;
          }
        }
      }
      const ratio = (m: Mode) => median(tps[m]) / median(tps.off);
      const cpuRatio = (m: Mode) => median(cpu.off) / median(cpu[m]);
      const reference = ratio("reference");
      const figures = (m: Mode) =>
        `${median(tps[m]).toFixed(0)} tps, ${median(cpu[m]).toFixed(0)} µs server CPU per transaction (${cpuRatio(m).toFixed(3)} of without's)`;
      const common =
        `without triggers ${figures("off")}; one-INSERT reference trigger ${figures("reference")}, ratio ${reference.toFixed(3)}; ` +
        `graphile-worker ${figures("peer")}` +
        (options.before
          ? `; before 000012: notifier down ${ratio("before-down").toFixed(3)} (${figures("before-down")}), busy ${ratio("before-busy").toFixed(3)} (${figures("before-busy")})`
          : "") +
        `; medians of ${rounds} rounds of ${seconds} s, ${clients} clients`;
      for (const [mode, label] of OUR_MODES) {
        rows.push({
          name: `website ${statement} ÷ without triggers, ${label}`,
          value: ratio(mode),
          unit: "ratio",
          target: { op: ">=", value: Math.round((reference - SLACK) * 1000) / 1000 },
          peer: ratio("peer"),
          beatPeer: true,
          note: `ours ${figures(mode)}${mode === "draining" ? `; ${common}` : ""}`,
        });
      }
    }
    return rows;
  } finally {
    await notifiers.close();
    await busy.end();
    await sql.end();
    await db.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Starts real notifiers on the benchmark database, sending to a Bot API double at 30
 * messages per second: `idle` returns once it listens and is idle (its ring locks are
 * held), `draining` once it is busy with the backlog (it has sent, and holds none).
 */
async function notifierFactory(db: BenchDatabase) {
  const cipher = ChatIdCipher.fromBase64(randomBytes(32).toString("base64"));
  const telegram = await BotApiDouble.start({ token: BENCH_TOKEN, record: false });
  const sql = postgres(db.url, { max: 4, onnotice: () => {} });
  const ringLocks = async () => {
    const [{ n }] = await sql<[{ n: number }]>`
      SELECT count(*)::int AS n FROM pg_locks
       WHERE locktype = 'advisory' AND classid = ${LOCK_CLASS} AND objsubid = 2
         AND objid BETWEEN ${RING_LOCK_IDS.first} AND ${RING_LOCK_IDS.last} AND granted`;
    return n;
  };
  const until = async (what: string, check: () => Promise<boolean> | boolean) => {
    for (let waited = 0; !(await check()); waited += 10) {
      if (waited > 60_000) throw new Error(`the notifier: ${what} did not happen within 60 s`);
      await sleep(10);
    }
  };
  return {
    cipher,
    async start(mode: "idle" | "draining"): Promise<Notifier> {
      const notifier = benchNotifier({
        sql,
        databaseUrl: db.url,
        telegram,
        cipher,
        maxPerSecond: 30,
      });
      await notifier.start();
      const sentBefore = telegram.stats().accepted;
      if (mode === "idle")
        await until("taking its ring locks", async () => (await ringLocks()) === 16);
      else
        await until(
          "sending the backlog with its ring locks given back",
          async () => telegram.stats().accepted > sentBefore && (await ringLocks()) === 0,
        );
      return notifier;
    },
    async close() {
      await sql.end();
      await telegram.close();
    },
  };
}

/** 2,000 file status changes of linked customers: events waiting for the notifier. */
async function makeBacklog(sql: postgres.Sql): Promise<void> {
  await sql`
    UPDATE tuning_files
       SET status = (CASE WHEN status = 'PENDING' THEN 'READY' ELSE 'PENDING' END)::"TuningFileStatus",
           "updatedAt" = now()
     WHERE id IN (SELECT 'file-' || g FROM generate_series(1, 2000) g)`;
}

/** Copies of our tuning_files triggers whose functions call 000007's doorbell instead. */
async function installBefore(sql: postgres.Sql): Promise<void> {
  await sql.unsafe(BEFORE_IS_IDLE);
  const triggers = await sql<Array<{ name: string; fn: string; trigger: string }>>`
    SELECT t.tgname AS name, pg_get_functiondef(t.tgfoid) AS fn, pg_get_triggerdef(t.oid) AS trigger
      FROM pg_trigger t WHERE t.tgrelid = 'public.tuning_files'::regclass AND t.tgname = ANY (${OURS})`;
  for (const t of triggers) {
    const copy = t.name.replace("telegram_record_", "bench_before_");
    const fn = `bench_before_${t.name}`;
    await sql.unsafe(
      t.fn
        .replace(/FUNCTION telegram\.\w+\(\)/, `FUNCTION ${fn}()`)
        .replaceAll("telegram.notifier_is_idle()", "bench_before_is_idle()"),
    );
    await sql.unsafe(
      t.trigger.replace(t.name, copy).replace(/FUNCTION telegram\.\w+\(\)/, `FUNCTION ${fn}()`),
    );
  }
}

/** Links the 1,000 customers to chats the notifier can decrypt. */
async function linkChats(sql: postgres.Sql, cipher: ChatIdCipher): Promise<void> {
  const ids = Array.from({ length: 1000 }, (_, i) => `user-${i + 1}`);
  const chats = ids.map((_, i) => cipher.encrypt(7_000_000 + i));
  await sql`
    UPDATE users u SET "telegramChatId" = c.chat
      FROM unnest(${ids}::text[], ${chats}::text[]) AS c(id, chat) WHERE u.id = c.id`;
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
    before: { type: "boolean", default: false },
  },
  (values) =>
    benchWebsiteWrites({
      seconds: numberOption(values.seconds),
      rounds: numberOption(values.rounds),
      clients: numberOption(values.clients),
      before: values.before,
    }),
);
