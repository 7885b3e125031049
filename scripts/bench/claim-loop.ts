/**
 * The claiming backend's CPU per lone-event claim, this checkout's claim against an
 * earlier commit's, alternating in one database and one backend (claim-probe.ts runs one
 * definition per server, so two runs of it differ by the machine's swing as well).
 *
 * The earlier commit's telegram.claim_batch, claim_batch_all and ingest_events are read
 * from its sql/telegram-schema.sql and created under the names claim_batch_before,
 * claim_batch_all_before and ingest_events_before. Then `turns` times, in alternating
 * order, each definition claims `claims` lone events (one website status UPDATE, one
 * claim, the row marked sent) and the backend's CPU per claim (/proc/<pid>/schedstat)
 * is printed per turn. `--vacuum` runs VACUUM telegram.outbox before each turn (without
 * it the dead entries of outbox_pending_idx pile up as in a service between autovacuums).
 *
 *   npx tsx scripts/bench/claim-loop.ts [--before main] [--turns 6] [--claims 300] [--vacuum]
 */
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import postgres from "postgres";
import { addLinkedCustomers } from "./claim-probe.ts";
import { runBenchScript } from "./lib/cli.ts";
import { startBenchDatabase } from "./lib/database.ts";
import { type BenchRow, median } from "./lib/report.ts";

/** `ref`'s definitions of the claim's three functions, renamed with the suffix _before. */
function definitionsAt(ref: string): string {
  const schema = execFileSync("git", ["show", `${ref}:sql/telegram-schema.sql`], {
    encoding: "utf8",
  });
  const names = ["claim_batch", "claim_batch_all", "ingest_events"];
  return names
    .map((name) => {
      const at = schema.indexOf(`CREATE OR REPLACE FUNCTION telegram.${name}(`);
      if (at < 0) throw new Error(`${ref}: no telegram.${name} in sql/telegram-schema.sql`);
      const end = schema.indexOf("$function$;\n", at) + "$function$;\n".length;
      return schema.slice(at, end);
    })
    .join("\n")
    .replace(/telegram\.(claim_batch_all|claim_batch|ingest_events)\(/g, "telegram.$1_before(");
}

async function claimLoop(o: {
  before: string;
  turns: number;
  claims: number;
  vacuum: boolean;
}): Promise<BenchRow[]> {
  const db = await startBenchDatabase("claimloop");
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const claimer = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(definitionsAt(o.before));
    const files = 2 * (o.turns + 1) * o.claims;
    await addLinkedCustomers(sql, 1000, files);
    const [{ pid }] = await claimer<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
    const onCpu = async () =>
      Number((await readFile(`/proc/${pid}/schedstat`, "utf8")).split(" ")[0]) / 1e3;
    let file = 0;
    const turn = async (fn: string, claims: number) => {
      if (o.vacuum) await sql`VACUUM telegram.outbox`;
      let cpu = 0;
      for (let i = 0; i < claims; i++) {
        await sql`UPDATE tuning_files SET status = 'READY' WHERE id = ${`f${++file}`}`;
        const at = await onCpu();
        const rows = await claimer.unsafe(
          `SELECT * FROM telegram.${fn}('loop', 500, 10, 30, 2000)`,
        );
        cpu += (await onCpu()) - at;
        if (rows.length !== 1) throw new Error(`${fn} claimed ${rows.length} rows, not 1`);
        await sql`UPDATE telegram.outbox SET status = 'sent', locked_until = NULL WHERE status = 'pending'`;
      }
      return cpu / claims;
    };
    const variants = { before: "claim_batch_before", after: "claim_batch" };
    await turn(variants.before, o.claims / 2);
    await turn(variants.after, o.claims / 2);
    const cpu: Record<keyof typeof variants, number[]> = { before: [], after: [] };
    for (let t = 0; t < o.turns; t++) {
      const order: Array<keyof typeof variants> = t % 2 ? ["after", "before"] : ["before", "after"];
      for (const v of order) cpu[v].push(Math.round(await turn(variants[v], o.claims)));
    }
    return (["before", "after"] as const).map((v) => ({
      name: `one-event claim, ${v === "before" ? o.before : "this checkout"}: the backend's CPU per claim`,
      value: median(cpu[v]),
      unit: "µs",
      note: `median of turns ${cpu[v].join(", ")} (${o.claims} claims each${o.vacuum ? ", VACUUM before each" : ""})`,
    }));
  } finally {
    await claimer.end();
    await sql.end();
    await db.stop();
  }
}

await runBenchScript(
  import.meta.url,
  {
    before: { type: "string", default: "main" },
    turns: { type: "string", default: "6" },
    claims: { type: "string", default: "300" },
    vacuum: { type: "boolean", default: false },
  },
  (v) =>
    claimLoop({
      before: v.before,
      turns: Number(v.turns),
      claims: Number(v.claims),
      vacuum: v.vacuum,
    }),
);
