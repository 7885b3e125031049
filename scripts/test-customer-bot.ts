/**
 * Self-test: configuration, token, webhook, database, migrations, triggers, backlog, SMTP.
 * One line per check with the fix; exit 1 on any ❌.
 *   npx tsx scripts/test-customer-bot.ts
 */
import { selfTest } from "../src/ops/self-test.ts";

process.exit(await selfTest(undefined, (line) => console.log(line)));
