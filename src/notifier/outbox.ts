import type postgres from "postgres";
import { muteGroup } from "../vocabulary.ts";

/** A claimed outbox row joined with the customer's account and preferences. */
export interface ClaimedRow {
  id: string;
  user_id: string;
  kind: string;
  subject_id: string;
  label: string | null;
  status_to: string | null;
  eta_minutes: number | null;
  comment: string | null;
  tracking_number: string | null;
  cod_status: string | null;
  paid: boolean | null;
  attempts: number;
  created_at: Date;
  first_name: string | null;
  last_name: string | null;
  language: string | null;
  timezone: string | null;
  chat: string | null;
  user_exists: boolean;
  muted_kinds: string[] | null;
  language_override: string | null;
  quiet_start: number | null;
  quiet_end: number | null;
  blocked_at: Date | null;
}

/** Why an event is not sent: set in `last_error` of a skipped row. */
export type SkipReason = "user deleted" | "not linked" | "blocked" | "muted";

/** What a claim found: leased rows, and events settled as skipped on the way. */
export interface Claim {
  rows: ClaimedRow[];
  skipped: Array<{ kind: string; reason: string }>;
}

/**
 * In one round trip (telegram.claim_batch, migration 000010: one transaction under the
 * claim lock): moves new events into the outbox (writing as skipped those nobody is told
 * about: unlinked, muted, blocked, deleted customers, outside the rollout stage), then
 * leases up to `limit` due rows, oldest first: for each customer the first `perCustomer`
 * pending rows, and only while every earlier pending row of that customer is free and
 * due. When no row was pending before, the new rows are leased as they are written
 * (migration 000027: a lone event costs the outbox two writes, this one and the
 * mark-sent). So a customer's messages never overtake each other, even across notifier
 * processes, and one claim serves many messages. A lease that is not settled expires and
 * the rows are claimed again.
 */
export async function claimDue(
  sql: postgres.Sql,
  options: {
    workerId: string;
    limit: number;
    leaseSeconds: number;
    /** Rows of one customer in one claim. Defaults to 10. */
    perCustomer?: number;
    /** Pending rows looked at, oldest first. Defaults to 4 × limit, at least 2,000. */
    scan?: number;
  },
): Promise<Claim> {
  const scan = options.scan ?? Math.max(2_000, 4 * options.limit);
  const result = await sql<Array<ClaimedRow & { skipped_reason: string | null }>>`
    SELECT * FROM telegram.claim_batch(${options.workerId}, ${options.limit},
      ${options.perCustomer ?? 10}, ${options.leaseSeconds}, ${scan})`;
  const rows: ClaimedRow[] = [];
  const skipped: Array<{ kind: string; reason: string }> = [];
  for (const row of result) {
    if (row.skipped_reason !== null) skipped.push({ kind: row.kind, reason: row.skipped_reason });
    else rows.push(row);
  }
  return { rows, skipped };
}

/** Why a claimed row must not be sent now, or undefined when it may. */
export function skipReason(row: ClaimedRow): SkipReason | undefined {
  if (!row.user_exists) return "user deleted";
  if (row.chat === null) return "not linked";
  if (row.blocked_at !== null) return "blocked";
  const group = muteGroup(row.kind);
  if (group && row.muted_kinds?.includes(group)) return "muted";
  return undefined;
}

/** A message Telegram accepted: the outbox row, Telegram's message id, when. */
export interface SentRow {
  id: string;
  messageId: number;
  at: Date;
}

/** Telegram accepted these messages: one UPDATE for the lot. */
export async function markSentMany(sql: postgres.Sql, sent: readonly SentRow[]): Promise<void> {
  if (sent.length === 0) return;
  await sql`
    UPDATE telegram.outbox o
       SET status = 'sent', sent_at = s.sent_at, telegram_message_id = s.message_id,
           locked_until = NULL, locked_by = NULL, last_error = NULL
      FROM unnest(${sent.map((s) => s.id)}::bigint[], ${sent.map((s) => s.messageId)}::bigint[],
                  ${sent.map((s) => s.at.toISOString())}::timestamptz[]) AS s(id, message_id, sent_at)
     WHERE o.id = s.id`;
}

/** The ids of claimed rows, for `release`. */
export function idsOf(rows: readonly ClaimedRow[]): string[] {
  return rows.map((r) => r.id);
}

/** Gives claimed rows back unsent (they wait behind an earlier row of their customer). */
export async function release(sql: postgres.Sql, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    UPDATE telegram.outbox
       SET locked_until = NULL, locked_by = NULL, attempts = greatest(attempts - 1, 0)
     WHERE id = ANY(${ids}::bigint[]) AND status = 'pending'`;
}

/**
 * The rows a merged message stood for, settled as its first row was when it was not sent
 * (failed or skipped, with its reason); nothing when that row is still pending.
 */
export async function settleLike(
  sql: postgres.Sql,
  firstId: string,
  ids: readonly string[],
): Promise<void> {
  await sql`
    UPDATE telegram.outbox o
       SET status = f.status, last_error = f.last_error, locked_until = NULL, locked_by = NULL
      FROM telegram.outbox f
     WHERE f.id = ${firstId} AND f.status IN ('failed', 'skipped')
       AND o.id = ANY(${ids}::bigint[]) AND o.status = 'pending'`;
}

/** Given up for good (blocked, chat not found, unparsable, too old). */
export async function markFailed(sql: postgres.Sql, id: string, reason: string): Promise<void> {
  await sql`
    UPDATE telegram.outbox
       SET status = 'failed', last_error = ${reason}, locked_until = NULL, locked_by = NULL
     WHERE id = ${id}`;
}

/** Not sent on purpose: not linked, muted, blocked, user deleted. */
export async function markSkipped(sql: postgres.Sql, id: string, reason: string): Promise<void> {
  await sql`
    UPDATE telegram.outbox
       SET status = 'skipped', last_error = ${reason}, locked_until = NULL, locked_by = NULL
     WHERE id = ${id}`;
}

/** A transient failure: due again after `delayMs`; the customer's later rows wait behind it. */
export async function retryLater(
  sql: postgres.Sql,
  id: string,
  reason: string,
  delayMs: number,
): Promise<void> {
  await sql`
    UPDATE telegram.outbox
       SET due_at = now() + make_interval(secs => ${delayMs / 1000}), last_error = ${reason},
           locked_until = NULL, locked_by = NULL
     WHERE id = ${id}`;
}
