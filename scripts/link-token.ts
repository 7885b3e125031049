/**
 * Prints a single-use Telegram link for a customer (valid 15 minutes):
 *   npx tsx scripts/link-token.ts [--dry-run] customer@example.com
 * Opening it in Telegram links that chat to the account (no email code needed).
 */
import { Api } from "grammy";
import { loadConfig } from "../src/config.ts";
import { runScript } from "../src/ops/cli.ts";
import { withServiceDatabase } from "../src/ops/database.ts";
import { findAccount, makeLinkInvite, NO_ACCOUNT } from "../src/ops/link-token.ts";
import { explainTelegramError } from "../src/ops/webhook.ts";

const USAGE = `usage: npx tsx scripts/link-token.ts [--dry-run] <customer email>

Prints a single-use link, https://t.me/<bot>?start=<token>, valid 15 minutes: opening it
in Telegram links that chat to the account with this email (any case), without an email
code. Only the token's hash is stored (telegram.link_tokens). The database is the
service's: DATABASE_URL, or the embedded PostgreSQL in ./.data when it is unset.

Options:
  --dry-run    check that the account exists and the token is accepted; make no link
  -h, --help   this text

Examples:
  npx tsx scripts/link-token.ts customer@example.com
  npx tsx scripts/link-token.ts --dry-run customer@example.com`;

await runScript(
  { usage: USAGE, options: { "dry-run": { type: "boolean" } }, positionals: ["<customer email>"] },
  async ({ values, positionals: [email = ""] }) => {
    const config = loadConfig();
    const api = new Api(config.telegram.token, { apiRoot: config.telegram.apiRoot });
    const telegram = <T>(call: Promise<T>) =>
      call.catch((error: unknown) => {
        if (error instanceof Error && error.message === NO_ACCOUNT) throw error;
        throw new Error(explainTelegramError(error, config.telegram));
      });
    await withServiceDatabase(config, async (sql) => {
      if (values["dry-run"]) {
        const userId = await findAccount(sql, email);
        const me = await telegram(api.getMe());
        console.log(
          `dry run: ${email} is account ${userId}; the link would be https://t.me/${me.username}?start=<token>; none was made`,
        );
        return;
      }
      const invite = await telegram(makeLinkInvite(sql, api, email));
      console.log(invite.url);
      console.log(`single use, valid until ${invite.expiresAt.toISOString()}`);
    });
  },
);
