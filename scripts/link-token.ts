/**
 * Prints a single-use Telegram link for a customer (valid 15 minutes):
 *   npx tsx scripts/link-token.ts customer@example.com
 * Opening it in Telegram links that chat to the account (no email code needed).
 */
import { Api } from "grammy";
import postgres from "postgres";
import { ConfigError, loadConfig } from "../src/config.ts";
import { makeLinkInvite } from "../src/ops/link-token.ts";
import { explainTelegramError } from "../src/ops/webhook.ts";

const email = process.argv[2];
if (!email) {
  console.error("usage: npx tsx scripts/link-token.ts <customer email>");
  process.exit(1);
}
try {
  const config = loadConfig(process.env, { demo: false });
  if (!config.databaseUrl)
    throw new Error("DATABASE_URL is not set: point it at the website's database");
  const sql = postgres(config.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const invite = await makeLinkInvite(
      sql,
      new Api(config.telegram.token, { apiRoot: config.telegram.apiRoot }),
      email,
    ).catch((error: unknown) => {
      throw error instanceof Error && error.message === "no account with that email"
        ? error
        : new Error(explainTelegramError(error));
    });
    console.log(invite.url);
    console.log(`single use, valid until ${invite.expiresAt.toISOString()}`);
  } finally {
    await sql.end();
  }
} catch (error) {
  console.error(
    error instanceof ConfigError
      ? error.message
      : `error: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}
