/**
 * Pauses and resumes customer notifications at runtime (issue 18):
 *   npm run notifications -- pause [--reason R] [--dry-run]
 *   npm run notifications -- resume [--drop-older-than 2h] [--dry-run]
 */
import type postgres from "postgres";
import { loadDatabaseConfig } from "../src/config.ts";
import { changeControls, operatorActor, readControls } from "../src/controls.ts";
import { runScript, UsageError } from "../src/ops/cli.ts";
import { withServiceDatabase } from "../src/ops/database.ts";

const USAGE = `usage: npm run notifications -- pause [--reason R] [--dry-run]
       npm run notifications -- resume [--drop-older-than AGE] [--dry-run]

pause: running services stop sending notifications within seconds (none is claimed once
the pause is committed), without a restart. Events go on being recorded and wait in the
outbox; the bot's replies to commands go on. resume: what waited is sent, each
customer's messages in order; --drop-older-than marks the events that waited longer than
AGE as skipped instead (last_error 'dropped on resume (waited longer than AGE)').
Audited in telegram.control_audit as operator:<your user>. The kill switch
(TELEGRAM_CUSTOMER_BOT_ENABLED=false) is another thing: it needs a restart and silences
the bot too. The database is the service's: DATABASE_URL, or the embedded PostgreSQL
in ./.data when it is unset.

Options:
  --reason R             pause: why, shown by /healthz, stats.ts and the audit
  --drop-older-than AGE  resume: drop the events older than AGE (a PostgreSQL interval:
                         2h, 30 min, 1 day)
  --dry-run              say what would happen (resume: how many would be dropped);
                         change nothing
  -h, --help             this text

The same in SQL:
  SELECT * FROM telegram.pause_notifications('Telegram outage');
  SELECT * FROM telegram.resume_notifications('2 hours', dry_run => true);
  SELECT * FROM telegram.resume_notifications('2 hours');

Examples:
  npm run notifications -- pause --reason "wrong file statuses imported"
  npm run notifications -- resume --drop-older-than 2h --dry-run
  npm run notifications -- resume`;

const OPTIONS = {
  reason: { type: "string" },
  "drop-older-than": { type: "string" },
  "dry-run": { type: "boolean" },
} as const;

await runScript(
  { usage: USAGE, options: OPTIONS, positionals: ["<pause|resume>"] },
  async ({ values, positionals: [action] }) => {
    if (action !== "pause" && action !== "resume")
      throw new UsageError(`"${action}": say pause or resume`);
    if (action === "pause" && values["drop-older-than"] !== undefined)
      throw new UsageError("--drop-older-than goes with resume");
    if (action === "resume" && values.reason !== undefined)
      throw new UsageError("--reason goes with pause");
    const dryRun = values["dry-run"] === true;
    await withServiceDatabase(loadDatabaseConfig(), async (sql) => {
      const report =
        action === "pause"
          ? await pause(sql, values.reason, dryRun)
          : await resume(sql, values["drop-older-than"], dryRun);
      console.log(report);
    });
  },
);

async function pause(sql: postgres.Sql, reason: string | undefined, dryRun: boolean) {
  const [done] = await changeControls(
    sql,
    { actor: operatorActor(), detail: "scripts/notifications.ts pause", dryRun },
    (tx) =>
      tx<
        [
          {
            paused_since: Date;
            paused_reason: string | null;
            already_paused: boolean;
            waiting: number;
          },
        ]
      >`SELECT * FROM telegram.pause_notifications(${reason ?? null})`,
  );
  if (!done) throw new Error("telegram.pause_notifications() returned nothing");
  const why = done.paused_reason ? ` (${done.paused_reason})` : "";
  const state = done.already_paused
    ? `notifications were already paused since ${done.paused_since.toISOString()}${why}`
    : `notifications paused${why}`;
  return [
    dryRun ? `dry run, nothing changed: ${state}` : state,
    `${done.waiting} events waiting in the outbox; command replies go on.`,
    "Resume with: npm run notifications -- resume [--drop-older-than 2h]",
  ].join("\n");
}

async function resume(sql: postgres.Sql, dropOlderThan: string | undefined, dryRun: boolean) {
  if (!dryRun && (await readControls(sql)).pausedAt === null)
    return "notifications are not paused: nothing to resume";
  const [done] = await changeControls(
    sql,
    { actor: operatorActor(), detail: "scripts/notifications.ts resume", dryRun },
    (tx) => tx<[{ resumed: boolean; paused_for: string | null; dropped: number; waiting: number }]>`
      SELECT resumed, paused_for::text, dropped, waiting
        FROM telegram.resume_notifications(${dropOlderThan ?? null}::interval, ${dryRun})`,
  );
  if (!done) throw new Error("telegram.resume_notifications() returned nothing");
  if (done.paused_for === null) return "notifications are not paused: nothing to resume";
  const dropped =
    dropOlderThan === undefined
      ? ""
      : `${done.dropped} events that waited longer than ${dropOlderThan} ${dryRun ? "would be" : "were"} dropped (marked skipped)\n`;
  const head = dryRun
    ? `dry run, nothing changed: resuming now (paused for ${done.paused_for})`
    : `notifications resumed after ${done.paused_for}`;
  return `${head}\n${dropped}${done.waiting} events ${dryRun ? "would go" : "go"} out, each customer's in order.`;
}
