import type { ClaimedRow } from "./outbox.ts";

/** One message to send: `row` as rendered, standing for itself and the rows in `also`. */
export interface MergedRow {
  row: ClaimedRow;
  also: ClaimedRow[];
}

/**
 * A customer's claimed rows, in order, with each run of consecutive status changes of one
 * file to the same status made one message: a file set to READY and its modified file
 * uploaded (status READY again) are two events, and "✅ File ready for download" twice
 * says nothing more than once. Different news about a file (received, then ready; an
 * estimate; a comment) stays one message each, and a change claimed later (the first
 * message already sent) is its own message. Orders are never merged.
 */
export function mergeSameFile(chain: readonly ClaimedRow[]): MergedRow[] {
  const merged: MergedRow[] = [];
  for (const row of chain) {
    const last = merged.at(-1);
    if (last && sameNews(last.row, row)) {
      last.row = mergeRows(last.row, row);
      last.also.push(row);
    } else merged.push({ row, also: [] });
  }
  return merged;
}

/** Two status changes of one file to the same status. */
function sameNews(a: ClaimedRow, b: ClaimedRow): boolean {
  return (
    a.kind === "file_status" &&
    b.kind === "file_status" &&
    a.subject_id === b.subject_id &&
    a.status_to === b.status_to
  );
}

/**
 * Two changes as one: the later label, time and estimate, the later comment, paid if
 * either was. Keeps the earlier row's id, so the message is recorded, retried or failed
 * as that row.
 */
function mergeRows(earlier: ClaimedRow, later: ClaimedRow): ClaimedRow {
  return {
    ...later,
    id: earlier.id,
    attempts: earlier.attempts,
    eta_minutes: later.eta_minutes ?? earlier.eta_minutes,
    comment: later.comment ?? earlier.comment,
    paid: earlier.paid === true || later.paid === true ? true : (later.paid ?? earlier.paid),
  };
}
