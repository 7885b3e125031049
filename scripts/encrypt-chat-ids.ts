/**
 * Encrypts, in place, the Telegram chat ids that the old website code stored in
 * plaintext. Needs TELEGRAM_CHAT_ID_KEY; the database is the service's. Safe to run again.
 *   npx tsx scripts/encrypt-chat-ids.ts [--dry-run]
 * Until it has run, plaintext ids keep working: the service reads both forms.
 */
import { loadChatIdCipher, loadDatabaseConfig } from "../src/config.ts";
import { encryptPlaintextChatIds } from "../src/db/encrypt-chat-ids.ts";
import { runScript } from "../src/ops/cli.ts";
import { withServiceDatabase } from "../src/ops/database.ts";

const USAGE = `usage: npx tsx scripts/encrypt-chat-ids.ts [--dry-run]

Encrypts, in place, the Telegram chat ids the old website code stored in plaintext in
users."telegramChatId", with TELEGRAM_CHAT_ID_KEY (use the key the service runs with).
Each change is audited in telegram.link_audit (actor encrypt-chat-ids, no chat id). Safe to
run again; until it has run, plaintext ids keep working. The database is the service's:
DATABASE_URL, or the embedded PostgreSQL in ./.data when it is unset (as npm start).

Options:
  --dry-run    count the chat ids it would encrypt, and change nothing
  -h, --help   this text

Examples:
  npx tsx scripts/encrypt-chat-ids.ts --dry-run
  npx tsx scripts/encrypt-chat-ids.ts`;

await runScript(
  { usage: USAGE, options: { "dry-run": { type: "boolean" } } },
  async ({ values }) => {
    const dryRun = values["dry-run"] === true;
    const config = loadDatabaseConfig();
    const chatIds = loadChatIdCipher();
    if (!chatIds)
      throw new Error("TELEGRAM_CHAT_ID_KEY is not set: use the key the service runs with");
    const report = await withServiceDatabase(config, (sql) =>
      encryptPlaintextChatIds(sql, chatIds, { dryRun }),
    );
    console.log(
      dryRun
        ? `dry run: would encrypt ${report.encrypted} plaintext chat id(s); nothing was changed`
        : `encrypted ${report.encrypted} plaintext chat id(s)`,
    );
    if (!dryRun) console.log(`rekeyed ${report.rekeyed} unkeyed chat fingerprint(s)`);
    if (report.invalid.length > 0) {
      console.log(
        `${dryRun ? "would leave" : "left"} ${report.invalid.length} value(s) that are not Telegram chat ids; unlink or fix these users: ${report.invalid.join(", ")}`,
      );
    }
  },
);
