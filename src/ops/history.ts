import type postgres from "postgres";
import { utc } from "./failed.ts";

/** One message a customer was (or was to be) told, as `telegram.customer_history()` returns it. */
export interface HistoryRow {
  id: string;
  recordedAt: Date;
  kind: string;
  /** File name or order number. */
  subject: string;
  /** The new status, tracking number, COD status or estimate the message was about. */
  change: string | null;
  status: "pending" | "sent" | "failed" | "skipped";
  sentAt: Date | null;
  /** Why it failed or was skipped. */
  reason: string | null;
}

/** What {@link customerHistory} reads: the latest `limit` rows recorded since `since`. */
export interface HistoryOptions {
  limit?: number;
  since?: Date;
}

/** A customer who is neither a users.id nor an email, and has no rows either. */
export class CustomerNotFound extends Error {
  override name = "CustomerNotFound";
}

/**
 * What one customer (users.id or email, any case) was told and when, oldest first: the
 * latest `limit` rows (all by default) recorded at or after `since`.
 * @throws CustomerNotFound when there is no such customer.
 */
export async function customerHistory(
  sql: postgres.Sql,
  customer: string,
  options: HistoryOptions = {},
): Promise<HistoryRow[]> {
  try {
    const rows = await sql<HistoryRow[]>`
      SELECT id::text, recorded_at AS "recordedAt", kind, subject, change, status,
             sent_at AS "sentAt", reason
        FROM telegram.customer_history(${customer})
       WHERE ${options.since ?? null}::timestamptz IS NULL
          OR recorded_at >= ${options.since ?? null}::timestamptz
       ORDER BY id DESC
       LIMIT ${options.limit ?? null}`;
    return rows.reverse();
  } catch (error) {
    if ((error as { code?: string }).code === "P0002")
      throw new CustomerNotFound(
        `no customer with id or email ${customer}: give the email they registered with (any case) or their users.id`,
      );
    throw error;
  }
}

/** What scripts/customer-history.ts prints: one line per message, oldest first. */
export function formatHistory(customer: string, rows: readonly HistoryRow[]): string {
  if (rows.length === 0) return `${customer}: nothing recorded for this customer (in this period)`;
  const lines = [
    `${customer}: ${rows.length} message${rows.length === 1 ? "" : "s"}, oldest first`,
  ];
  for (const r of rows) {
    const what = [r.kind, r.subject, r.change].filter((p) => p).join("  ");
    const outcome =
      r.status === "sent" && r.sentAt
        ? `sent ${utc(r.sentAt)}`
        : `${r.status}${r.reason ? `: ${r.reason}` : ""}`;
    lines.push(`  ${utc(r.recordedAt)}  #${r.id}  ${what}  → ${outcome}`);
  }
  return lines.join("\n");
}
