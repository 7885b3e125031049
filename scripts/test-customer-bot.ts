/**
 * Self-test: configuration, token, webhook, database, migrations, triggers, backlog, SMTP.
 * One line per check, each ⚠️ and ❌ with its fix; exit 1 on any ❌.
 *   npx tsx scripts/test-customer-bot.ts
 */
import { runScript } from "../src/ops/cli.ts";
import { selfTest } from "../src/ops/self-test.ts";

const USAGE = `usage: npx tsx scripts/test-customer-bot.ts

Checks what the service needs, one line each: ✅ fine, ⚠️ works but deserves a look, ❌ broken
or not checked; every ⚠️ and ❌ names the fix. The configuration (environment, .env.local,
.env), the token (getMe) and the webhook against TELEGRAM_MODE, the database (DATABASE_URL,
or the embedded PostgreSQL in ./.data when it is unset, as npm start), migrations,
triggers, backlog, failures of the last 24 hours, SMTP. Changes nothing.
Exit 0 when nothing is ❌, else 1.

Options:
  -h, --help   this text

Examples:
  npx tsx scripts/test-customer-bot.ts
  npx tsx scripts/test-customer-bot.ts || echo "see the ❌ lines"`;

await runScript({ usage: USAGE, options: {} }, async () => {
  process.exit(await selfTest(undefined, (line) => console.log(line)));
});
