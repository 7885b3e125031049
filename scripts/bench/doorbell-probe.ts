/**
 * What the doorbell's decision costs a website transaction, alone: one session calls it
 * once per transaction (a procedure that COMMITs after each call, so a probe's lock is
 * given back each time, as at the end of a website transaction), against the same loop
 * calling nothing (one procedure per decision). Printed: µs per transaction above that loop, minimum of the rounds.
 *
 *   npx tsx scripts/bench/doorbell-probe.ts [--calls 100000] [--rounds 5]
 *
 * The decisions:
 * - ours (000012), nobody holds the ring lock (no notifier, or a busy one): the shared
 *   transaction lock is taken, and given back at COMMIT;
 * - ours, a notifier listening and idle holds it: the probe fails;
 * - before 000012 (000007), no busy lock held: try + unlock, session level;
 * - before, a busy notifier holds it: the try fails;
 * - a pg_locks look-up of the same lock (what a "does anyone hold it" test without a
 *   probe costs: pg_locks copies the whole lock table, every partition locked).
 */
import postgres from "postgres";
import { numberOption, runBenchScript } from "./lib/cli.ts";
import { startBenchDatabase } from "./lib/database.ts";
import { BEFORE_IS_IDLE } from "./website-writes.ts";

const FUNCTIONS = `
CREATE FUNCTION bench_pg_locks_is_held() RETURNS boolean LANGUAGE sql VOLATILE AS $$
  SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 1952803941
                    AND objid = 32 + pg_backend_pid() % 16 AND objsubid = 2 AND granted)
$$;
`;

/** One procedure per decision (no branch to pick it), each COMMITting after every call. */
const DECISIONS = {
  nothing: "true",
  ours: "telegram.notifier_is_idle()",
  before: "bench_before_is_idle()",
  pg_locks: "bench_pg_locks_is_held()",
};
const procedures = Object.entries(DECISIONS)
  .map(
    ([name, call]) => `
CREATE PROCEDURE bench_probe_${name}(n integer) LANGUAGE plpgsql AS $$
DECLARE b boolean;
BEGIN
  FOR i IN 1..n LOOP
    b := ${call};
    COMMIT;
  END LOOP;
END $$;`,
  )
  .join("\n");

const CASES = [
  ["ours (000012), no notifier or a busy one", "ours", "none"],
  ["ours (000012), a notifier listening and idle", "ours", "ring"],
  ["before (000007), no notifier busy", "before", "none"],
  ["before (000007), a notifier busy", "before", "busy"],
  ["pg_locks look-up", "pg_locks", "none"],
] as const;

export async function benchDoorbellProbe(o: { calls: number; rounds: number }): Promise<void> {
  const db = await startBenchDatabase("probe");
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const holder = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(BEFORE_IS_IDLE);
    await sql.unsafe(FUNCTIONS);
    await sql.unsafe(procedures);
    const loop = async (what: string) => {
      const t = performance.now();
      await sql.unsafe(`CALL bench_probe_${what}(${o.calls})`);
      return ((performance.now() - t) * 1000) / o.calls;
    };
    // Minimum of each loop over the rounds: the machine's other load only ever adds.
    const best = new Map<string, number>();
    const keep = (name: string, us: number) =>
      best.set(name, Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, us));
    for (let round = 0; round < o.rounds; round++) {
      keep("nothing", await loop("nothing"));
      for (const [name, what, held] of CASES) {
        if (held === "ring") await holder`SELECT telegram.notifier_set_busy(false)`;
        if (held === "busy")
          await holder`SELECT pg_advisory_lock(1952803941, k) FROM generate_series(16, 31) k`;
        keep(name, await loop(what));
        await holder`SELECT pg_advisory_unlock_all()`;
      }
    }
    console.log(
      `µs per transaction (minimum of ${o.rounds} rounds of ${o.calls} transactions, one session), and above an empty one:`,
    );
    const empty = best.get("nothing") ?? Number.NaN;
    console.log(`  ${"empty transaction".padEnd(46)} ${empty.toFixed(2)}`);
    for (const [name] of CASES) {
      const us = best.get(name) ?? Number.NaN;
      console.log(`  ${name.padEnd(46)} ${us.toFixed(2)}  +${(us - empty).toFixed(2)}`);
    }
  } finally {
    await holder.end();
    await sql.end();
    await db.stop();
  }
}

await runBenchScript(
  import.meta.url,
  { calls: { type: "string", default: "100000" }, rounds: { type: "string", default: "5" } },
  async (values) => {
    await benchDoorbellProbe({
      calls: numberOption(values.calls) ?? 100_000,
      rounds: numberOption(values.rounds) ?? 5,
    });
    return undefined;
  },
);
