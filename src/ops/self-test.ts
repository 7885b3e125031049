import { Api } from "grammy";
import nodemailer from "nodemailer";
import type postgres from "postgres";
import { type Config, ConfigError, loadConfig } from "../config.ts";
import { checkMigrations } from "../db/migrations.ts";
import { explainMissing, findMissingObjects } from "../db/repair.ts";
import {
  explainForeignWebhook,
  explainPlaintextWrites,
  foreignWebhook,
  readPlaintextWrites,
} from "../switch-over.ts";
import { withServiceDatabase } from "./database.ts";
import { fixForFailure } from "./failure-fixes.ts";
import { explainTelegramError, WEBHOOK_ERROR_FIX } from "./webhook.ts";

/** Where the checks write their lines: ✅ ok, ⚠️ warn, ❌ fail (which makes the exit code 1). */
interface Report {
  ok(text: string): void;
  warn(text: string): void;
  fail(text: string): void;
}

/**
 * The self-test behind scripts/test-customer-bot.ts: one line per check, ✅ / ⚠️ / ❌, each
 * ⚠️ and ❌ with its fix. Returns the exit code: 1 when any check failed or could not be
 * made (then the ❌ says why). Prints no secret, no chat id. The database is the
 * service's: `DATABASE_URL`, or the embedded PostgreSQL in `./.data` when it is unset.
 * `env` is what {@link loadConfig} reads; `undefined` means the process's environment
 * (and `.env` files), as the service reads it.
 */
export async function selfTest(
  env: Record<string, string | undefined> | undefined,
  write: (line: string) => void,
): Promise<number> {
  let failed = false;
  const report: Report = {
    ok: (text) => write(`✅ ${text}`),
    warn: (text) => write(`⚠️  ${text}`),
    fail: (text) => {
      failed = true;
      write(`❌ ${text}`);
    },
  };

  let config: Config;
  try {
    config = loadConfig(env);
    report.ok("configuration is valid");
  } catch (error) {
    report.fail(
      error instanceof ConfigError
        ? `configuration:\n${error.problems.map((p) => `     ${p}`).join("\n")}`
        : String(error),
    );
    return 1;
  }

  await checkTelegram(config, report);
  await checkDatabase(config.databaseUrl, report);
  if (config.linkVerification === "none") {
    report.warn(
      "SMTP not used: LINK_VERIFICATION=none links a chat to any account named in /link without proof, so whoever knows a customer's email gets their file and order updates; set LINK_VERIFICATION=email with SMTP_URL and MAIL_FROM",
    );
  } else if (config.smtp) {
    await checkSmtp(config.smtp.url, report);
  }
  return failed ? 1 : 0;
}

/** The token, and whether Telegram sends updates the way TELEGRAM_MODE expects. */
async function checkTelegram(config: Config, report: Report): Promise<void> {
  const api = new Api(config.telegram.token, { apiRoot: config.telegram.apiRoot });
  try {
    const me = await api.getMe();
    report.ok(`token accepted by Telegram: @${me.username}`);
    const info = await api.getWebhookInfo();
    const foreign = foreignWebhook(info.url, config.telegram);
    if (foreign) {
      report.fail(explainForeignWebhook(foreign, config.telegram));
    } else if (config.telegram.mode === "webhook" && info.url !== config.telegram.webhookUrl) {
      report.fail(
        `Telegram sends updates to "${info.url || "nowhere"}", not TELEGRAM_WEBHOOK_URL: run npx tsx scripts/setup-customer-bot-webhook.ts`,
      );
    } else {
      report.ok(`updates: ${config.telegram.mode}${info.url ? ` at ${info.url}` : ""}`);
    }
    if (info.last_error_message)
      report.warn(
        `Telegram's last webhook error: ${info.last_error_message}: ${WEBHOOK_ERROR_FIX}`,
      );
  } catch (error) {
    report.fail(explainTelegramError(error, config.telegram));
  }
}

/** Reachable, migrated; then the triggers, the backlog and what deserves a look. */
async function checkDatabase(databaseUrl: string | undefined, report: Report): Promise<void> {
  const which = databaseUrl
    ? `the database at ${withoutPassword(databaseUrl)}`
    : "the embedded PostgreSQL in ./.data (DATABASE_URL is unset)";
  const checks = async (sql: postgres.Sql, url: string) => {
    await sql`SELECT 1`;
    report.ok(`database reachable: ${which}`);
    const { pending } = await checkMigrations(url);
    if (pending.length > 0) {
      report.fail(
        `${pending.length} migration(s) not applied (${pending.join(", ")}): ${databaseUrl ? "run npm run migrate" : "npm start applies them to the embedded database when it starts"}`,
      );
      return;
    }
    report.ok("migrations applied");
    await checkTriggers(sql, report);
    await checkBacklog(sql, report);
  };
  try {
    // Changes nothing: missing migrations are reported above, not applied.
    await withServiceDatabase({ databaseUrl, logLevel: "warn" }, checks, { migrated: false });
  } catch (error) {
    const fix = databaseUrl
      ? "check DATABASE_URL and that the server runs and accepts this machine"
      : "set DATABASE_URL to the database the service uses (the embedded one is for trying it out)";
    report.fail(
      `database not checked: ${which}: ${error instanceof Error ? error.message : String(error)}: ${fix}`,
    );
  }
}

/** A connection string as it may be shown: the password left out. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    return parsed.toString();
  } catch {
    return "(DATABASE_URL, not a URL)";
  }
}

/** Our triggers, indexes, columns and constraint (src/db/repair.ts), and triggers disabled. */
async function checkTriggers(sql: postgres.Sql, report: Report): Promise<void> {
  const missing = await findMissingObjects(sql);
  const ours = await sql<Array<{ name: string; table: string; enabled: boolean }>>`
    SELECT t.tgname AS name, t.tgrelid::regclass::text AS table, t.tgenabled <> 'D' AS enabled
      FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
     WHERE p.pronamespace = 'telegram'::regnamespace AND NOT t.tgisinternal`;
  const disabled = ours.filter((t) => !t.enabled);
  if (missing.length > 0) report.fail(explainMissing(missing));
  else if (disabled.length > 0)
    report.fail(
      `triggers disabled: ${disabled.map((r) => r.name).join(", ")}: ${disabled.map((r) => `ALTER TABLE ${r.table} ENABLE TRIGGER ${r.name};`).join(" ")}`,
    );
  else {
    // Counted on the website's tables: those are what a Prisma deploy can drop.
    const website = ours.filter((t) => !t.table.startsWith("telegram."));
    report.ok(`${website.length} triggers present and enabled on the website's tables`);
  }
}

/** Events waiting (too long?), recent failures, chat ids still in plaintext. */
async function checkBacklog(sql: postgres.Sql, report: Report): Promise<void> {
  const [backlog] = await sql<[{ waiting: number; oldest: number | null }]>`
    SELECT (SELECT count(*) FROM telegram.recorded_events)::int + (SELECT count(*) FROM telegram.outbox WHERE status = 'pending')::int AS waiting,
           extract(epoch FROM now() - least((SELECT min(recorded_at) FROM telegram.recorded_events),
                                            (SELECT min(created_at) FROM telegram.outbox WHERE status = 'pending')))::float8 AS oldest`;
  const oldest = backlog?.oldest ?? 0;
  if ((backlog?.waiting ?? 0) > 0 && oldest > 300) {
    report.fail(
      `${backlog?.waiting} event(s) waiting, the oldest for ${Math.round(oldest / 60)} min: is the notifier running? check npm start's logs and /healthz`,
    );
  } else {
    report.ok(
      `backlog: ${backlog?.waiting ?? 0} waiting${oldest > 0 ? `, oldest ${Math.round(oldest)} s` : ""}`,
    );
  }
  const failures = await sql<Array<{ reason: string; n: number }>>`
    SELECT coalesce(last_error, '(no reason recorded)') AS reason, count(*)::int AS n FROM telegram.outbox
     WHERE status = 'failed' AND created_at > now() - interval '24 hours' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5`;
  for (const f of failures)
    report.warn(
      `${f.n} message(s) failed in the last 24 h: "${f.reason}": ${fixForFailure(f.reason)}`,
    );
  const [{ plain }] = await sql<[{ plain: number }]>`
    SELECT count(*)::int AS plain FROM users WHERE "telegramChatId" IS NOT NULL AND "telegramChatId" NOT LIKE 'tg1:%'`;
  if (plain > 0)
    report.warn(`${plain} chat id(s) stored in plaintext: run npx tsx scripts/encrypt-chat-ids.ts`);
  await checkWebsiteLinker(sql, report);
}

/** Plaintext chat ids written after encryption: the website's own linker (src/switch-over.ts). */
async function checkWebsiteLinker(sql: postgres.Sql, report: Report): Promise<void> {
  const writes = await readPlaintextWrites(sql);
  if (!writes)
    report.ok(
      "plaintext chat ids written by the website's own linker: watched once npx tsx scripts/encrypt-chat-ids.ts has run (README: Switching over)",
    );
  else if (writes.count > 0) report.fail(explainPlaintextWrites(writes));
  else
    report.ok(
      `no plaintext chat id written since encrypt-chat-ids ran (${writes.since.toISOString()})`,
    );
}

async function checkSmtp(url: string, report: Report): Promise<void> {
  try {
    await nodemailer.createTransport(url, { connectionTimeout: 5_000 } as object).verify();
    report.ok("SMTP server reachable");
  } catch (error) {
    report.fail(
      `SMTP: ${error instanceof Error ? error.message : String(error)}: check SMTP_URL (host, port, user, password) and that this machine reaches the server`,
    );
  }
}
