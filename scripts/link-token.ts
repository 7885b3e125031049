/**
 * Prints a single-use Telegram link for a customer (valid 15 minutes):
 *   npx tsx scripts/link-token.ts customer@example.com
 * Opening it in Telegram links that chat to the account (no email code needed).
 */
import { Api } from "grammy";
import postgres from "postgres";
import { loadConfig } from "../src/config.ts";
import { runCli } from "../src/ops/cli.ts";
import { makeLinkInvite } from "../src/ops/link-token.ts";
import { explainTelegramError } from "../src/ops/webhook.ts";

await runCli(async () => {
  const email = process.argv[2];
  if (!email) throw new Error("usage: npx tsx scripts/link-token.ts <customer email>");
  const config = loadConfig();
  if (!config.databaseUrl)
    throw new Error("DATABASE_URL is not set: point it at the website's database");
  const sql = postgres(config.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const api = new Api(config.telegram.token, { apiRoot: config.telegram.apiRoot });
    const invite = await makeLinkInvite(sql, api, email).catch((error: unknown) => {
      if (error instanceof Error && error.message === "no account with that email") throw error;
      throw new Error(explainTelegramError(error));
    });
    console.log(invite.url);
    console.log(`single use, valid until ${invite.expiresAt.toISOString()}`);
  } finally {
    await sql.end();
  }
});
