/**
 * Failed notifications: list them, send a selection again, or mark it skipped.
 *   npx tsx scripts/failed.ts list|resend|skip [filters] [--dry-run]
 */
import { loadDatabaseConfig } from "../src/config.ts";
import { runScript, UsageError } from "../src/ops/cli.ts";
import { withServiceDatabase } from "../src/ops/database.ts";
import {
  type FailedFilters,
  formatFailedList,
  formatSettled,
  listFailed,
  operatorActor,
  parseIds,
  parseWhen,
  settleFailed,
} from "../src/ops/failed.ts";

const USAGE = `usage: npm run failed -- list   [filters] [--limit N]
       npm run failed -- resend [filters | --all] [--dry-run]
       npm run failed -- skip   [filters | --all] [--dry-run]

Notifications Telegram refused for good (telegram.outbox status failed). list shows them
with a summary by reason, each with its fix, and by kind; resend sets them pending again,
and the running service sends them, each before that customer's newer messages; skip
marks them skipped ('skipped by operator'), never to be sent. resend and skip take a
filter or --all, and each run is recorded in telegram.control_audit with your user name.
Chat ids are never printed. The database: DATABASE_URL, or the embedded PostgreSQL in
./.data when it is unset (as npm start). The same in SQL: telegram.failed_notifications(),
telegram.resend_failed(), telegram.skip_failed().

Filters (together: all must hold):
  --reason TEXT     a part of the reason (last_error), any case: "chat not found"
  --kind KIND       file_uploaded, file_status, file_eta, file_comment, file_paid,
                    order_status, order_shipping, payment_received
  --customer WHO    the customer's email (any case) or users.id
  --since WHEN      recorded at or after WHEN: an ISO date or time, or an age (30m, 2h, 3d)
  --until WHEN      recorded before WHEN
  --id IDS          these notifications only: telegram.outbox ids, separated by commas
Options:
  --all             resend or skip every failed notification
  --dry-run         resend, skip: show what would change, change nothing
  --limit N         list: rows shown (the summary counts all); defaults to 50
  -h, --help        this text

Examples:
  npm run failed -- list --since 3d
  npm run failed -- resend --reason "gave up" --dry-run
  npm run failed -- resend --customer karim@example.com
  npm run failed -- resend --id 1042,1043
  npm run failed -- skip --kind order_shipping --until 2026-11-01`;

const command = {
  usage: USAGE,
  options: {
    reason: { type: "string" },
    kind: { type: "string" },
    customer: { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    id: { type: "string" },
    all: { type: "boolean" },
    "dry-run": { type: "boolean" },
    limit: { type: "string" },
  },
  positionals: ["<list|resend|skip>"],
} as const;

await runScript(command, async ({ values, positionals }) => {
  const action = positionals[0];
  if (action !== "list" && action !== "resend" && action !== "skip")
    throw new UsageError(`unknown command "${action}": list, resend or skip`);
  const filters: FailedFilters = {
    reason: values.reason,
    kind: values.kind,
    customer: values.customer,
    since: values.since === undefined ? undefined : parseWhen("--since", values.since),
    until: values.until === undefined ? undefined : parseWhen("--until", values.until),
    ids: values.id === undefined ? undefined : parseIds(values.id),
  };
  const filtered = Object.values(filters).some((v) => v !== undefined);
  if (action === "list") {
    if (values["dry-run"])
      throw new UsageError("list changes nothing: --dry-run is for resend and skip");
    const limit = Number(values.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 0)
      throw new UsageError(`--limit ${values.limit}: give a whole number`);
    const rows = await withServiceDatabase(loadDatabaseConfig(), (sql) => listFailed(sql, filters));
    console.log(formatFailedList(rows, limit));
    return;
  }
  if (values.limit !== undefined) throw new UsageError(`--limit is for list, not ${action}`);
  if (filtered === Boolean(values.all))
    throw new UsageError(
      filtered
        ? "--all selects every failed notification: give it without filters"
        : `${action} needs a filter (--reason, --kind, --customer, --since, --until, --id) or --all`,
    );
  const options = { dryRun: values["dry-run"] === true, actor: operatorActor() };
  const rows = await withServiceDatabase(loadDatabaseConfig(), (sql) =>
    settleFailed(sql, action, filters, options),
  );
  console.log(formatSettled(action, rows, options));
});
