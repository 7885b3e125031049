/**
 * Where the claim's server time goes, statement by statement, in the common case (one
 * event waiting, an idle notifier): auto_explain (nested statements, ANALYZE) on the
 * claiming session while the website's status UPDATEs come one at a time; the median
 * duration of each statement inside telegram.claim_batch, and of the whole call.
 *
 * 20 rounds warm up, then `rounds` are timed from the client (no auto_explain), then
 * `rounds` more are explained. `--apply FILE` runs FILE's SQL after the migrations first
 * (to compare a variant of a function in the same run of the machine). `--perf FILE`
 * records the claiming backend with `perf record --call-graph dwarf` during the timed
 * rounds (then `perf report -i FILE`; the embedded server's binary keeps its symbols).
 *
 *   npx tsx scripts/bench/claim-probe.ts [--rounds 200] [--customers 1000] [--apply FILE] [--perf FILE]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import postgres from "postgres";
import { runBenchScript, sleep } from "./lib/cli.ts";
import { startBenchDatabase } from "./lib/database.ts";
import { type BenchRow, median } from "./lib/report.ts";
import { useTriggers } from "./peer.ts";

export function cpuRows(what: string, t: { ms: number; cpuUs: number }): BenchRow[] {
  return [
    { name: `${what}: round trip`, value: t.ms, unit: "ms" },
    { name: `${what}: the backend's CPU per call`, value: t.cpuUs, unit: "µs" },
  ];
}

/**
 * `customers` linked customers and `files` of their files (f1, f2, …, status PENDING),
 * written without our triggers, then ANALYZEd; our triggers on again. Each
 * `UPDATE tuning_files SET status = 'READY' WHERE id = 'f<n>'` is then one lone event.
 */
export async function addLinkedCustomers(
  sql: postgres.Sql,
  customers: number,
  files: number,
): Promise<void> {
  await useTriggers(sql, "none");
  await sql`
    INSERT INTO users (id, email, "firstName", "lastName", "updatedAt", "telegramChatId", "telegramLinkedAt")
    SELECT 'user-' || g, 'c' || g || '@example.com', 'Customer', 'Bench', now(), 'chat-' || g, now()
      FROM generate_series(1, ${customers}) g`;
  await sql`
    INSERT INTO tuning_files (id, "userId", "originalFilename", "r2Key", "fileSize", "fileType", status, "updatedAt")
    SELECT 'f' || g, 'user-' || (1 + g % ${customers}), 'f' || g || '.bin', 'f' || g, 1, 'bin', 'PENDING', now()
      FROM generate_series(1, ${files}) g`;
  await sql`ANALYZE`;
  await useTriggers(sql, "ours");
}

async function probeClaim(o: {
  rounds: number;
  customers: number;
  apply?: string;
  perf?: string;
}): Promise<BenchRow[]> {
  const db = await startBenchDatabase("claimprobe");
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const durations = new Map<string, number[]>();
  const claimer = postgres(db.url, {
    max: 1,
    onnotice: (n) => {
      const m = /duration: ([\d.]+) ms\s+plan:\s+Query Text: ([\s\S]*?)\n\s*(?:[A-Z]|$)/.exec(
        String(n.message),
      );
      if (!m) return;
      const text = (m[2] ?? "").replace(/\s+/g, " ").trim().slice(0, 70);
      durations.set(text, [...(durations.get(text) ?? []), Number(m[1])]);
    },
  });
  try {
    if (o.apply) await sql.unsafe(await readFile(o.apply, "utf8"));
    await addLinkedCustomers(sql, o.customers, 2 * o.rounds + 20);
    // The claiming backend's CPU time (ns on the CPU, /proc/<pid>/schedstat): unlike the
    // wall clock, hardly moved by the other work of a shared machine.
    const [{ pid }] = await claimer<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
    const onCpu = async () =>
      Number((await readFile(`/proc/${pid}/schedstat`, "utf8")).split(" ")[0]) / 1e3;
    await claimer.unsafe("LOAD 'auto_explain'");
    const whole: number[] = [];
    let wholeCpu = 0;
    let perf: ChildProcess | undefined;
    for (let i = 1; i <= 2 * o.rounds + 20; i++) {
      const explain = i > 20 + o.rounds;
      if (i === 21 && o.perf) {
        perf = spawn(
          "perf",
          [
            "record",
            "-q",
            "-F",
            "2999",
            "--call-graph",
            "dwarf,16384",
            "-p",
            String(pid),
            "-o",
            o.perf,
          ],
          {
            stdio: "ignore",
          },
        );
        await sleep(500);
      }
      if (explain && perf) {
        perf.kill("SIGINT");
        await once(perf, "exit");
        perf = undefined;
      }
      if (explain)
        await claimer.unsafe(
          "SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; SET auto_explain.log_nested_statements = on; SET auto_explain.log_timing = on; SET auto_explain.log_level = notice",
        );
      await sql`UPDATE tuning_files SET status = 'READY' WHERE id = ${`f${i}`}`;
      const at = performance.now();
      const cpuAt = i > 20 && !explain ? await onCpu() : 0;
      const rows = await claimer`SELECT * FROM telegram.claim_batch('probe', 500, 10, 30, 2000)`;
      if (i > 20 && !explain) {
        whole.push(performance.now() - at);
        wholeCpu += (await onCpu()) - cpuAt;
      }
      if (rows.length !== 1) throw new Error(`claimed ${rows.length} rows, not 1`);
      await claimer.unsafe("SET auto_explain.log_min_duration = -1");
      await sql`UPDATE telegram.outbox SET status = 'sent', locked_until = NULL WHERE status = 'pending'`;
    }
    const timed = async (query: () => Promise<unknown>) => {
      const ms: number[] = [];
      const cpuBefore = await onCpu();
      for (let i = 0; i < o.rounds; i++) {
        const at = performance.now();
        await query();
        ms.push(performance.now() - at);
      }
      return { ms: median(ms), cpuUs: ((await onCpu()) - cpuBefore) / o.rounds };
    };
    const out: BenchRow[] = [
      ...cpuRows("SELECT 1", await timed(() => claimer`SELECT 1`)),
      ...cpuRows(
        "claim_batch, nothing queued",
        await timed(() => claimer`SELECT * FROM telegram.claim_batch('probe', 500, 10, 30, 2000)`),
      ),
      {
        name: "claim_batch round trip, one event (no auto_explain)",
        value: median(whole),
        unit: "ms",
        note: `median of ${whole.length}, after 20 to warm up`,
      },
      {
        name: "claim_batch, one event: the backend's CPU per call",
        value: wholeCpu / whole.length,
        unit: "µs",
      },
    ];
    for (const [text, ds] of durations)
      out.push({ name: text, value: median(ds), unit: "ms", note: `${ds.length} calls` });
    return out;
  } finally {
    await claimer.end();
    await sql.end();
    await db.stop();
  }
}

await runBenchScript(
  import.meta.url,
  {
    rounds: { type: "string", default: "200" },
    customers: { type: "string", default: "1000" },
    apply: { type: "string" },
    perf: { type: "string" },
  },
  (v) =>
    probeClaim({
      rounds: Number(v.rounds),
      customers: Number(v.customers),
      ...(v.apply ? { apply: v.apply } : {}),
      ...(v.perf ? { perf: v.perf } : {}),
    }),
);
