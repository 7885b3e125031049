/**
 * The notifier's statements per delivered message at a steady trickle (one event at a
 * time, `rate` a second, the notifier idle in between): calls of telegram.claim_batch
 * (and claim_batch_all, the claims that found something due), notifier_set_busy (the
 * ring locks given back and taken again), counted by PostgreSQL
 * (pg_stat_user_functions, track_functions = all) over `events` events. Unlike wall
 * times and CPU, these counts do not depend on the machine's load.
 *
 *   npx tsx scripts/bench/round-trips.ts [--events 200] [--rate 20]
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { BotApiDouble } from "../../double/bot-api-double.ts";
import { ChatIdCipher } from "../../src/chat-id.ts";
import { BENCH_TOKEN, runBenchScript, sleep } from "./lib/cli.ts";
import { startBenchDatabase } from "./lib/database.ts";
import { benchNotifier } from "./lib/notifier.ts";
import type { BenchRow } from "./lib/report.ts";
import { useTriggers } from "./peer.ts";

const CUSTOMERS = 100;

async function countRoundTrips(o: { events: number; rate: number }): Promise<BenchRow[]> {
  const db = await startBenchDatabase("roundtrips");
  const cipher = ChatIdCipher.fromBase64(randomBytes(32).toString("base64"));
  const sql = postgres(db.url, { max: 4, onnotice: () => {} });
  const telegram = await BotApiDouble.start({ token: BENCH_TOKEN, record: false });
  const database = new URL(db.url).pathname.slice(1);
  await sql.unsafe(`ALTER DATABASE ${database} SET track_functions = 'all'`);
  const notifierSql = postgres(db.url, { max: 4, onnotice: () => {} });
  const notifier = benchNotifier({
    sql: notifierSql,
    databaseUrl: db.url,
    telegram,
    cipher,
    maxPerSecond: 0,
  });
  try {
    const chats = Array.from({ length: CUSTOMERS }, (_, i) => cipher.encrypt(800_000_000 + i));
    await useTriggers(sql, "none");
    await sql`
      INSERT INTO users (id, email, "firstName", "lastName", "updatedAt", "telegramChatId", "telegramLinkedAt")
      SELECT 'user-' || g, 'c' || g || '@example.com', 'Customer', 'Bench', now(), c, now()
        FROM unnest(${chats}::text[]) WITH ORDINALITY AS t(c, g)`;
    await sql`
      INSERT INTO tuning_files (id, "userId", "originalFilename", "r2Key", "fileSize", "fileType", status, "updatedAt")
      SELECT 'f' || g, 'user-' || (1 + g % ${CUSTOMERS}), 'f' || g || '.bin', 'f' || g, 1, 'bin', 'PENDING', now()
        FROM generate_series(1, ${o.events + 20}) g`;
    await useTriggers(sql, "ours");
    await notifier.start();
    const sent = (n: number) => telegram.stats().accepted >= n;
    // 20 events to warm up, then the counted ones, each after the last was delivered.
    const write = (i: number) =>
      sql`UPDATE tuning_files SET status = 'READY' WHERE id = ${`f${i}`}`;
    for (let i = 1; i <= 20; i++) await write(i);
    while (!sent(20)) await sleep(10);
    // Statistics are flushed by each backend when idle, at most once a second.
    await sleep(1_500);
    const calls = async () => {
      const rows = await sql<Array<{ funcname: string; calls: string }>>`
        SELECT funcname, calls FROM pg_stat_user_functions WHERE schemaname = 'telegram'`;
      return new Map(rows.map((r) => [r.funcname, Number(r.calls)]));
    };
    const before = await calls();
    for (let i = 21; i <= 20 + o.events; i++) {
      await write(i);
      await sleep(1000 / o.rate);
    }
    while (!sent(20 + o.events)) await sleep(10);
    await sleep(1_500);
    const after = await calls();
    const out: BenchRow[] = [];
    for (const name of ["claim_batch", "claim_batch_all", "notifier_set_busy"]) {
      const n = (after.get(name) ?? 0) - (before.get(name) ?? 0);
      out.push({ name: `${name} calls per message`, value: n / o.events, unit: "calls" });
    }
    return out;
  } finally {
    await notifier.stop();
    await notifierSql.end();
    await sql.end();
    await telegram.close();
    await db.stop();
  }
}

await runBenchScript(
  import.meta.url,
  { events: { type: "string", default: "200" }, rate: { type: "string", default: "20" } },
  (v) => countRoundTrips({ events: Number(v.events), rate: Number(v.rate) }),
);
