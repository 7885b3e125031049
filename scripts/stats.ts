/**
 * Linked customers, delivery success rate, backlog, most used commands, engagement.
 *   npx tsx scripts/stats.ts [--json]
 */
import postgres from "postgres";
import { loadDatabaseConfig } from "../src/config.ts";
import { runCli } from "../src/ops/cli.ts";
import { collectStats, formatStats } from "../src/ops/stats.ts";

await runCli(async () => {
  const { databaseUrl } = loadDatabaseConfig();
  if (!databaseUrl) throw new Error("DATABASE_URL is not set: point it at the website's database");
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const stats = await collectStats(sql);
    console.log(
      process.argv.includes("--json") ? JSON.stringify(stats, null, 2) : formatStats(stats),
    );
  } finally {
    await sql.end();
  }
});
