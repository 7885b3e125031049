/**
 * Linked customers, delivery success rate, backlog, most used commands, engagement.
 *   npx tsx scripts/stats.ts [--json]
 */
import { loadDatabaseConfig } from "../src/config.ts";
import { runScript } from "../src/ops/cli.ts";
import { withServiceDatabase } from "../src/ops/database.ts";
import { collectStats, formatStats } from "../src/ops/stats.ts";

const USAGE = `usage: npx tsx scripts/stats.ts [--json]

The numbers a shop owner asks for: linked customers (and how many blocked the bot),
delivery success rate over 24 hours and 7 days, the backlog, the most used commands and
the active chats. Read from the service's database: DATABASE_URL, or the embedded
PostgreSQL in ./.data when it is unset (as npm start). Changes nothing.

Options:
  --json       the numbers as one JSON object (for a monitoring script)
  -h, --help   this text

Examples:
  npx tsx scripts/stats.ts
  npx tsx scripts/stats.ts --json | jq .delivery.last24h.successRatePct`;

await runScript({ usage: USAGE, options: { json: { type: "boolean" } } }, async ({ values }) => {
  const stats = await withServiceDatabase(loadDatabaseConfig(), collectStats);
  console.log(values.json ? JSON.stringify(stats, null, 2) : formatStats(stats));
});
