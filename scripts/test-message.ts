/**
 * Sends a test message to the operator's own account through the whole path, and waits
 * until Telegram accepted it:
 *   npm run test-message -- --email you@example.com [--timeout 30] [--dry-run]
 */
import { loadDatabaseConfig } from "../src/config.ts";
import { runScript, UsageError } from "../src/ops/cli.ts";
import { withServiceDatabase } from "../src/ops/database.ts";
import { sendTestMessage } from "../src/ops/test-message.ts";

const USAGE = `usage: npm run test-message -- --email <your account's email> [--timeout <seconds>] [--dry-run]

Records a test message to your own CompuCar account as the website records its events
(telegram.record_test_message), then waits until the notifier has sent it to your Telegram
chat, and prints how long that took. Otherwise it says where it stopped and what fixes it:
no such account, not linked, chat blocked, notifications paused, not in the rollout stage,
Telegram refused, no notifier running, still waiting. Your muted kinds in /settings do not
stop it; the pause, the rollout stage and quiet hours (sent silently) apply as to any
message. Exit 0 only when delivered. The database is the service's: DATABASE_URL, or the
embedded PostgreSQL in ./.data when it is unset.

Options:
  --email <email>      your account (users.email, any case)
  --timeout <seconds>  how long to wait for the notifier (default 30)
  --dry-run            check the account, the pause and the rollout stage; send nothing
  -h, --help           this text

Examples:
  npm run test-message -- --email owner@compucar.pro
  npx tsx scripts/test-message.ts --email owner@compucar.pro --timeout 60
  npx tsx scripts/test-message.ts --email owner@compucar.pro --dry-run`;

await runScript(
  {
    usage: USAGE,
    options: {
      email: { type: "string" },
      timeout: { type: "string" },
      "dry-run": { type: "boolean" },
    },
  },
  async ({ values }) => {
    const email = values.email?.trim();
    if (!email) throw new UsageError("missing --email <your account's email>");
    const timeout = Number(values.timeout ?? "30");
    if (!Number.isFinite(timeout) || timeout <= 0)
      throw new UsageError(`--timeout "${values.timeout}": give a number of seconds above 0`);
    const delivered = await withServiceDatabase(loadDatabaseConfig(), (sql) =>
      sendTestMessage(sql, { email, timeoutMs: timeout * 1000, dryRun: values["dry-run"] }),
    );
    console.log(
      delivered
        ? `delivered in ${delivered.seconds.toFixed(2)} s: Telegram accepted the test message to ${email} (telegram.outbox row ${delivered.outboxId}, Telegram message ${delivered.telegramMessageId})`
        : `dry run: ${email} is linked, in the rollout stage, and notifications are running; no test message was recorded`,
    );
  },
);
