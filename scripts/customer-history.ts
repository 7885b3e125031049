/**
 * What one customer was told and when.
 *   npx tsx scripts/customer-history.ts <email or users.id> [--limit N] [--since WHEN]
 */
import { loadDatabaseConfig } from "../src/config.ts";
import { runScript, UsageError } from "../src/ops/cli.ts";
import { withServiceDatabase } from "../src/ops/database.ts";
import { parseWhen } from "../src/ops/failed.ts";
import { customerHistory, formatHistory } from "../src/ops/history.ts";

const USAGE = `usage: npm run customer-history -- <email or users.id> [--limit N] [--since WHEN]

What one customer was told on Telegram and when: every notification recorded for them,
oldest first, with when the website recorded it, its kind, the file or order, the
change, and whether it was sent (when), is pending, failed or was skipped (why). The
customer is their email (any case) or users.id; an unknown one is an error (exit 1).
Chat ids are never printed. The database: DATABASE_URL, or the embedded PostgreSQL in
./.data when it is unset (as npm start). The same in SQL:
SELECT * FROM telegram.customer_history('karim@example.com').

Options:
  --limit N      only the latest N
  --since WHEN   recorded at or after WHEN: an ISO date or time, or an age (30m, 2h, 3d)
  -h, --help     this text

Examples:
  npm run customer-history -- karim@example.com
  npm run customer-history -- Karim@Example.com --since 3d --limit 20`;

const command = {
  usage: USAGE,
  options: { limit: { type: "string" }, since: { type: "string" } },
  positionals: ["<email or users.id>"],
} as const;

await runScript(command, async ({ values, positionals }) => {
  const customer = positionals[0] ?? "";
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new UsageError(`--limit ${values.limit}: give a whole number, 1 or more`);
  const since = values.since === undefined ? undefined : parseWhen("--since", values.since);
  const rows = await withServiceDatabase(loadDatabaseConfig(), (sql) =>
    customerHistory(sql, customer, { limit, since }),
  );
  console.log(formatHistory(customer, rows));
});
