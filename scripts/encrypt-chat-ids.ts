/**
 * Encrypts, in place, the Telegram chat ids that the old website code stored in
 * plaintext. Needs DATABASE_URL and TELEGRAM_CHAT_ID_KEY (from the environment, .env.local
 * or .env, like the service). Safe to run again.
 *   npx tsx scripts/encrypt-chat-ids.ts
 * Until it has run, plaintext ids keep working: the service reads both forms.
 */
import postgres from "postgres";
import { loadChatIdCipher, loadDatabaseConfig } from "../src/config.ts";
import { encryptPlaintextChatIds } from "../src/db/encrypt-chat-ids.ts";
import { runCli } from "../src/ops/cli.ts";

await runCli(async () => {
  const { databaseUrl } = loadDatabaseConfig();
  if (!databaseUrl) throw new Error("DATABASE_URL is not set: point it at the website's database");
  const chatIds = loadChatIdCipher();
  if (!chatIds)
    throw new Error("TELEGRAM_CHAT_ID_KEY is not set: use the key the service runs with");
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const report = await encryptPlaintextChatIds(sql, chatIds);
    console.log(`encrypted ${report.encrypted} plaintext chat id(s)`);
    console.log(`rekeyed ${report.rekeyed} unkeyed chat fingerprint(s)`);
    if (report.invalid.length > 0) {
      console.log(
        `left ${report.invalid.length} value(s) that are not Telegram chat ids; unlink or fix these users: ${report.invalid.join(", ")}`,
      );
    }
  } finally {
    await sql.end();
  }
});
