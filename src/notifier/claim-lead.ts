/**
 * When a batch's next claim starts. A full batch means more rows wait: the next claim
 * runs while this batch's last messages are still sending, so the notifier never sits
 * idle waiting for the database. Too early and the next claim's leases are spent
 * waiting; too late and nothing is sent while it runs.
 *
 * Plain numbers in and out: this runs at every message of a backlog, so it allocates
 * nothing.
 */

/**
 * The rows ahead of the batch's end at which the next claim should start: what this
 * batch sends, at its pace so far (`started` rows in `elapsedMs`), in twice the time the
 * last claim took, counting at most a second of it. 0 before any time has passed.
 */
export function claimLead(started: number, elapsedMs: number, lastClaimMs: number): number {
  return elapsedMs > 0 ? (started / elapsedMs) * Math.min(2 * lastClaimMs, 1_000) : 0;
}

/**
 * Whether the batch has reached its tail, where the next claim starts: when its last
 * customers' chains have started (fewer chains wait than may send at once), or earlier,
 * when the rows left to start are within the claim lead. Short chains (a backlog of many
 * customers) would otherwise leave the next claim running while nothing is sent.
 *
 * @param rows the batch's rows
 * @param started rows started so far
 * @param waiting chains (customers) not started yet
 * @param concurrency chains that may send at once
 * @param elapsedMs since the batch started
 * @param lastClaimMs how long the last claim took
 */
export function reachedTail(
  rows: number,
  started: number,
  waiting: number,
  concurrency: number,
  elapsedMs: number,
  lastClaimMs: number,
): boolean {
  return waiting < concurrency || rows - started <= claimLead(started, elapsedMs, lastClaimMs);
}
