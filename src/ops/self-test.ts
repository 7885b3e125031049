import { Api } from "grammy";
import nodemailer from "nodemailer";
import postgres from "postgres";
import { type Config, ConfigError, loadConfig } from "../config.ts";
import { checkMigrations } from "../db/migrations.ts";
import { explainTelegramError } from "./webhook.ts";

const TRIGGERS = [
  "telegram_record_file_upload",
  "telegram_record_file_change",
  "telegram_record_order_change",
  "telegram_record_payment_received",
  "telegram_record_payment_succeeded",
  "telegram_audit_link",
  "telegram_audit_link_on_insert",
  "telegram_audit_unlink_on_delete",
];

/** Where the checks write their lines: ✅ ok, ⚠️ warn, ❌ fail (which makes the exit code 1). */
interface Report {
  ok(text: string): void;
  warn(text: string): void;
  fail(text: string): void;
}

/**
 * The self-test behind scripts/test-customer-bot.ts: one line per check, ✅ / ⚠️ / ❌ with
 * the fix. Returns the exit code: 1 when any check failed. Prints no secret, no chat id.
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
  if (!config.databaseUrl) {
    report.warn(
      "DATABASE_URL is unset: npm start uses the embedded PostgreSQL in ./.data (not checked here)",
    );
  } else {
    await checkDatabase(config.databaseUrl, report);
  }
  if (config.linkVerification === "email" && config.smtp) await checkSmtp(config.smtp.url, report);
  return failed ? 1 : 0;
}

/** The token, and whether Telegram sends updates the way TELEGRAM_MODE expects. */
async function checkTelegram(config: Config, report: Report): Promise<void> {
  const api = new Api(config.telegram.token, { apiRoot: config.telegram.apiRoot });
  try {
    const me = await api.getMe();
    report.ok(`token accepted by Telegram: @${me.username}`);
    const info = await api.getWebhookInfo();
    if (config.telegram.mode === "polling" && info.url) {
      report.fail(
        `a webhook is set (${info.url}) but TELEGRAM_MODE=polling: delete it with npx tsx scripts/setup-customer-bot-webhook.ts --delete`,
      );
    } else if (config.telegram.mode === "webhook" && info.url !== config.telegram.webhookUrl) {
      report.fail(
        `Telegram sends updates to "${info.url || "nowhere"}", not TELEGRAM_WEBHOOK_URL: run npx tsx scripts/setup-customer-bot-webhook.ts`,
      );
    } else {
      report.ok(`updates: ${config.telegram.mode}${info.url ? ` at ${info.url}` : ""}`);
    }
    if (info.last_error_message)
      report.warn(`Telegram's last webhook error: ${info.last_error_message}`);
  } catch (error) {
    report.fail(explainTelegramError(error, config.telegram));
  }
}

/** Reachable, migrated; then the triggers, the backlog and what deserves a look. */
async function checkDatabase(url: string, report: Report): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await sql`SELECT 1`;
    report.ok("database reachable");
    const { pending } = await checkMigrations(url);
    if (pending.length > 0) {
      report.fail(
        `${pending.length} migration(s) not applied (${pending.join(", ")}): run npm run migrate`,
      );
      return;
    }
    report.ok("migrations applied");
    await checkTriggers(sql, report);
    await checkBacklog(sql, report);
  } catch (error) {
    report.fail(
      `database: ${error instanceof Error ? error.message : String(error)}: check DATABASE_URL and that the server runs`,
    );
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function checkTriggers(sql: postgres.Sql, report: Report): Promise<void> {
  const rows = await sql<Array<{ name: string; enabled: boolean }>>`
    SELECT tgname AS name, tgenabled <> 'D' AS enabled FROM pg_trigger WHERE tgname = ANY(${TRIGGERS})`;
  const missing = TRIGGERS.filter((t) => !rows.some((r) => r.name === t));
  const disabled = rows.filter((r) => !r.enabled).map((r) => r.name);
  if (missing.length > 0)
    report.fail(`triggers missing: ${missing.join(", ")}: run npm run migrate`);
  else if (disabled.length > 0)
    report.fail(`triggers disabled: ${disabled.join(", ")}: ALTER TABLE ... ENABLE TRIGGER ...`);
  else report.ok(`${TRIGGERS.length} triggers present and enabled`);
}

/** Events waiting (too long?), recent failures, chat ids still in plaintext. */
async function checkBacklog(sql: postgres.Sql, report: Report): Promise<void> {
  const [backlog] = await sql<[{ waiting: number; oldest: number | null }]>`
    SELECT (SELECT count(*) FROM telegram.events)::int + (SELECT count(*) FROM telegram.outbox WHERE status = 'pending')::int AS waiting,
           extract(epoch FROM now() - least((SELECT min(recorded_at) FROM telegram.events),
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
    SELECT last_error AS reason, count(*)::int AS n FROM telegram.outbox
     WHERE status = 'failed' AND created_at > now() - interval '24 hours' GROUP BY 1 ORDER BY 2 DESC LIMIT 3`;
  if (failures.length > 0)
    report.warn(
      `failed in the last 24 h: ${failures.map((f) => `${f.n} × ${f.reason}`).join("; ")}`,
    );
  const [{ plain }] = await sql<[{ plain: number }]>`
    SELECT count(*)::int AS plain FROM users WHERE "telegramChatId" IS NOT NULL AND "telegramChatId" NOT LIKE 'tg1:%'`;
  if (plain > 0)
    report.warn(`${plain} chat id(s) stored in plaintext: run npx tsx scripts/encrypt-chat-ids.ts`);
}

async function checkSmtp(url: string, report: Report): Promise<void> {
  try {
    await nodemailer.createTransport(url, { connectionTimeout: 5_000 } as object).verify();
    report.ok("SMTP server reachable");
  } catch (error) {
    report.fail(`SMTP: ${error instanceof Error ? error.message : String(error)}: check SMTP_URL`);
  }
}
