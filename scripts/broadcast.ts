/**
 * Sends a maintenance message to every linked customer who has not muted announcements:
 *   npm run broadcast -- --en "..." [--fr "..."] [--ar "..."] [--dry-run] [--again]
 *   npm run broadcast -- --file texts.json [--dry-run] [--again]
 */
import { loadDatabaseConfig } from "../src/config.ts";
import { broadcast, formatBroadcast, operatorActor, readTexts } from "../src/ops/broadcast.ts";
import { runScript, UsageError } from "../src/ops/cli.ts";
import { withServiceDatabase } from "../src/ops/database.ts";

const USAGE = `usage: npm run broadcast -- --en <text> [--fr <text>] [--ar <text>] [--dry-run] [--again]
       npm run broadcast -- --file <texts.json> [--dry-run] [--again]

Queues one message per linked customer who is in the rollout stage, has not muted
"Announcements" in /settings and has not blocked the bot, in their language (English when
no text is given for it). The notifier sends them like every message: at its rate, in
order with the customer's other messages, silently in quiet hours, held while
notifications are paused. Durable: they wait in telegram.outbox until sent, across
restarts. The text is shown exactly as typed (HTML is not interpreted: "<b>" reads "<b>");
line breaks are kept. Recorded in telegram.broadcasts and telegram.control_audit (action
broadcast, actor operator:<your OS user>). The same texts twice within 24 hours are
refused without --again. SQL: SELECT * FROM telegram.broadcast('{"en": "..."}', false).
The database is the service's: DATABASE_URL, or the embedded PostgreSQL in ./.data.

Options:
  --en <text>      the English text (required; the fallback for other languages)
  --fr <text>      the French text
  --ar <text>      the Arabic text
  --file <path>    the texts as JSON: {"en": "...", "fr": "...", "ar": "..."}
  --dry-run        count the recipients by language; queue nothing
  --again          send texts already broadcast in the last 24 hours once more
  -h, --help       this text

Examples:
  npm run broadcast -- --dry-run --en "The website is down for maintenance on Friday 06:00-08:00."
  npm run broadcast -- --en "Closed on Friday." --fr "Fermé vendredi." --ar "مغلق يوم الجمعة."
  npm run broadcast -- --file maintenance.json`;

await runScript(
  {
    usage: USAGE,
    options: {
      en: { type: "string" },
      fr: { type: "string" },
      ar: { type: "string" },
      file: { type: "string" },
      "dry-run": { type: "boolean" },
      again: { type: "boolean" },
    },
  },
  async ({ values }) => {
    const texts = await readTexts(values).catch((error: Error) => {
      throw new UsageError(error.message);
    });
    const dryRun = values["dry-run"] ?? false;
    const result = await withServiceDatabase(loadDatabaseConfig(), (sql) =>
      broadcast(sql, texts, { dryRun, again: values.again, actor: operatorActor() }),
    );
    console.log(formatBroadcast(result, dryRun));
  },
);
