import { userInfo } from "node:os";
import type postgres from "postgres";
import { UsageError } from "./cli.ts";
import { fixForFailure } from "./failure-fixes.ts";

/** Which failed notifications an operator means; an unset filter selects all. */
export interface FailedFilters {
  /** A part of `last_error`, any case. */
  reason?: string;
  /** `telegram.outbox.kind`, e.g. file_status. */
  kind?: string;
  /** A users.id or an email (any case). */
  customer?: string;
  /** Recorded by the website at or after this time. */
  since?: Date;
  /** Recorded before this time. */
  until?: Date;
  /** These rows only (telegram.outbox.id). */
  ids?: string[];
}

/** One failed notification, as `telegram.failed_notifications()` returns it: no chat id. */
export interface FailedRow {
  id: string;
  recordedAt: Date;
  userId: string;
  /** NULL when the customer was deleted. */
  email: string | null;
  kind: string;
  /** File name or order number (the subject's id when the event had none). */
  subject: string;
  attempts: number;
  reason: string | null;
}

/** What an operator does to a selection: send it again, or mark it skipped. */
export type FailedAction = "resend" | "skip";

/** The failed notifications the filters select, oldest first. */
export async function listFailed(sql: postgres.Sql, f: FailedFilters): Promise<FailedRow[]> {
  return selectFailed(sql, sql`telegram.failed_notifications(${filterArguments(sql, f)})`);
}

/**
 * Resends or skips the selection (`telegram.resend_failed` / `skip_failed`) as `actor`,
 * who is named in the audit row; with `dryRun` nothing changes. Returns the rows as they
 * were.
 */
export async function settleFailed(
  sql: postgres.Sql,
  action: FailedAction,
  f: FailedFilters,
  options: { dryRun: boolean; actor: string },
): Promise<FailedRow[]> {
  const fn = action === "resend" ? sql`telegram.resend_failed` : sql`telegram.skip_failed`;
  return sql.begin(async (tx) => {
    await tx`SELECT set_config('telegram.actor', ${options.actor}, true)`;
    return selectFailed(tx, tx`${fn}(p_dry_run => ${options.dryRun}, ${filterArguments(tx, f)})`);
  });
}

/** The rows of one of the functions returning failed notifications, as FailedRow. */
function selectFailed(sql: Sql, call: postgres.PendingQuery<postgres.Row[]>) {
  return sql<FailedRow[]>`
    SELECT id::text, recorded_at AS "recordedAt", user_id AS "userId", email, kind, subject,
           attempts, reason
      FROM ${call}`;
}

/** A connection or a transaction. */
type Sql = postgres.Sql | postgres.TransactionSql;

/** The filters as the SQL functions' named arguments. */
function filterArguments(sql: Sql, f: FailedFilters) {
  return sql`p_reason => ${f.reason ?? null}, p_kind => ${f.kind ?? null},
             p_customer => ${f.customer ?? null}, p_since => ${f.since ?? null}::timestamptz,
             p_until => ${f.until ?? null}::timestamptz, p_ids => ${f.ids ?? null}::bigint[]`;
}

/** The audit actor of a script run by this OS user: `operator:<user>`. */
export function operatorActor(): string {
  return `operator:${userInfo().username}`;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A time given on the command line: an ISO date or time (`2026-12-01`,
 * `2026-12-01T08:00Z`), or an age before `now` (`30m`, `2h`, `3d`, `1w`).
 * @throws UsageError naming the option when it is neither.
 */
export function parseWhen(option: string, text: string, now: Date = new Date()): Date {
  const age = /^(\d+)([mhdw])$/.exec(text.trim());
  if (age) return new Date(now.getTime() - Number(age[1]) * (UNITS[age[2] ?? "d"] ?? 0));
  const at = /^\d{4}-\d\d-\d\d/.test(text) ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime()))
    throw new UsageError(
      `${option} ${text}: give an ISO date or time (2026-12-01, 2026-12-01T08:00Z) or an age (30m, 2h, 3d, 1w)`,
    );
  return at;
}

/**
 * The ids given with --id: `12,15` (spaces allowed).
 * @throws UsageError when one is not a whole number.
 */
export function parseIds(text: string): string[] {
  const ids = text.split(",").map((id) => id.trim());
  const wrong = ids.find((id) => !/^\d{1,18}$/.test(id));
  if (wrong !== undefined)
    throw new UsageError(
      `--id ${text}: give notification ids (telegram.outbox.id) separated by commas`,
    );
  return ids;
}

/** A time as operators read it in the shop's logs: `2026-12-02 02:40:31 UTC`. */
export function utc(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** How many of `rows` have each value of `key`, the most frequent first. */
function countBy(
  rows: readonly FailedRow[],
  key: (r: FailedRow) => string,
): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** One line per row: id, when recorded, kind, subject, customer, attempts, reason. */
function rowLines(rows: readonly FailedRow[], limit: number): string[] {
  const lines = rows
    .slice(0, limit)
    .map((r) =>
      `  #${r.id}  ${utc(r.recordedAt)}  ${r.kind}  ${r.subject}  ${r.email ?? `${r.userId} (deleted)`}  attempts ${r.attempts}  ${r.reason ?? ""}`.trimEnd(),
    );
  if (rows.length > limit) lines.push(`  … and ${rows.length - limit} more (--limit to see them)`);
  return lines;
}

/** What `failed list` prints: a summary by reason (with its fix) and by kind, then the rows. */
export function formatFailedList(rows: readonly FailedRow[], limit: number): string {
  if (rows.length === 0) return "no failed notifications match";
  const lines = [
    `${rows.length} failed notification${rows.length === 1 ? "" : "s"}`,
    "",
    "By reason:",
  ];
  for (const [reason, n] of countBy(rows, (r) => r.reason ?? "")) {
    lines.push(`  ${n}  ${reason || "(no reason recorded)"}`);
    lines.push(`      fix: ${fixForFailure(reason)}`);
  }
  lines.push("", "By kind:");
  for (const [kind, n] of countBy(rows, (r) => r.kind)) lines.push(`  ${n}  ${kind}`);
  lines.push("", "Oldest first:", ...rowLines(rows, limit));
  return lines.join("\n");
}

/** What `failed resend` / `failed skip` prints, dry run or done. */
export function formatSettled(
  action: FailedAction,
  rows: readonly FailedRow[],
  options: { dryRun: boolean; actor: string },
): string {
  const verb = action === "resend" ? "resent" : "skipped";
  if (rows.length === 0) return `no failed notifications match: nothing ${verb}`;
  const n = `${rows.length} failed notification${rows.length === 1 ? "" : "s"}`;
  const head = options.dryRun
    ? `dry run: ${n} would be ${verb}; nothing changed`
    : action === "resend"
      ? `${n} set pending again, to go out in each customer's order (audited as ${options.actor})`
      : `${n} marked skipped (audited as ${options.actor})`;
  return [head, ...rowLines(rows, Number.POSITIVE_INFINITY)].join("\n");
}
