import type postgres from "postgres";
import type { BusyLocks } from "./busy-locks.ts";
import type { Doorbell } from "./doorbell.ts";
import { type Claim, type ClaimedRow, claimDue, idsOf, release } from "./outbox.ts";
import { type Emit, type RunState, running } from "./state.ts";

/** A claim, and when (performance.now()) its leases run out. */
export type LeasedClaim = Claim & { leaseEndsAt: number };

/** Sends a claimed batch (deliver.ts); calls `onTail` once, where the next claim may start. */
export type DeliverBatch = (
  rows: ClaimedRow[],
  onTail: () => void,
  leaseEndsAt: number,
) => Promise<void>;

/** A claim of this many rows (events coming faster than one at a time) takes the busy locks. */
const BUSY_AT = 8;

export interface DrainOptions {
  sql: postgres.Sql;
  state: RunState;
  emit: Emit;
  bell: Pick<Doorbell, "answered" | "ringIn">;
  busy: BusyLocks;
  deliverBatch: DeliverBatch;
  workerId: string;
  /** Rows leased per claim; a claim this full means more is waiting. */
  claimLimit: number;
  /** The send cap (messages per second, 0 = none): a batch lasts at least its rows ÷ this. */
  maxPerSecond: number;
  perCustomer: number;
  leaseSeconds: number;
  /** false: claim nothing. */
  enabled: boolean;
}

/** What one drain has in flight. */
interface Flight {
  /** The busy locks being taken, once a claim was big enough. */
  becameBusy: Promise<void> | undefined;
  /** The next claim, started while the current batch's last chains are still sending. */
  next: Promise<LeasedClaim> | undefined;
  /** A full batch whose last chains still send while the next one starts (at most one). */
  previous: Promise<void> | undefined;
  /** The batch being sent. */
  current: Promise<void> | undefined;
}

/**
 * The claim loop: claims due rows and sends them until a claim finds nothing. A full
 * batch overlaps the next: at its tail (claim-lead.ts) the next claim starts, and the next
 * batch sends beside the last chains of this one. Returns the drain the doorbell runs.
 */
export function createDrain(options: DrainOptions): () => Promise<void> {
  return () => drain(options);
}

/**
 * Rows leased per claim: `batchSize`, but under a send cap at most half a lease's worth
 * of sends, so a claim's last row goes out well before its lease runs out and another
 * notifier may take it again.
 */
export function claimLimitFor(batchSize: number, maxPerSecond: number, leaseSeconds: number) {
  return maxPerSecond > 0
    ? Math.max(1, Math.min(batchSize, Math.floor((maxPerSecond * leaseSeconds) / 2)))
    : batchSize;
}

async function drain(d: DrainOptions): Promise<void> {
  if (!d.enabled) return;
  // Busy, the notifier gives its ring locks back: the bell is quiet while events come
  // faster than one claim takes them. When it is idle again, the doorbell takes them back
  // and drains once more (busy-locks.ts): that finds the events that rang no bell.
  const flight: Flight = {
    becameBusy: undefined,
    next: undefined,
    previous: undefined,
    current: undefined,
  };
  try {
    await claimAndSend(d, flight);
  } finally {
    await land(d, flight);
  }
}

function claimBatch(d: DrainOptions): Promise<LeasedClaim> {
  const at = performance.now();
  const { workerId, claimLimit: limit, perCustomer, leaseSeconds } = d;
  const pending = claimDue(d.sql, { workerId, limit, perCustomer, leaseSeconds }).then((claim) => {
    d.state.lastClaimMs = performance.now() - at;
    // Counted from before the claim was sent: never later than the database's.
    return { ...claim, leaseEndsAt: at + leaseSeconds * 1000 };
  });
  // Awaited later; until then a failure must not count as unhandled.
  pending.catch(() => {});
  return pending;
}

function reportSkipped(d: DrainOptions, claim: Claim): void {
  for (const s of claim.skipped) d.emit({ type: "skipped", kind: s.kind, reason: s.reason });
}

/** Claims and sends until a claim finds nothing (true), or stops early: paused, stopping. */
async function claimAndSend(d: DrainOptions, flight: Flight): Promise<boolean> {
  const { state, bell } = d;
  for (;;) {
    bell.answered();
    const wait = state.pausedUntil - performance.now();
    if (wait > 0) {
      bell.ringIn(wait);
      return false;
    }
    const prefetched = flight.next !== undefined;
    // Stopped while a batch was sending: nothing more is claimed (a claim already made is
    // awaited below and given back).
    if (!prefetched && !running(state)) return false;
    // Claimed while a batch still sends: that batch's customers were skipped.
    const beside = flight.previous !== undefined;
    const claim = await (flight.next ?? claimBatch(d));
    flight.next = undefined;
    reportSkipped(d, claim);
    state.lastDrainAt = new Date();
    if (!running(state)) {
      await release(d.sql, idsOf(claim.rows));
      return false;
    }
    if (claim.rows.length === 0 && claim.skipped.length === 0) {
      // A claim made while rows were in flight may find nothing only because their
      // customers were busy: look once more now that they are settled.
      if (flight.previous) {
        await flight.previous;
        flight.previous = undefined;
        continue;
      }
      if (prefetched) continue;
      return true;
    }
    // Taken on its own connection while this batch sends.
    if (!flight.becameBusy && claim.rows.length + claim.skipped.length >= BUSY_AT)
      flight.becameBusy = d.busy.set(true);
    const unsettled = state.unsettled;
    await send(d, flight, claim);
    if (!beside && tookAllDue(d, claim) && state.unsettled === unsettled) return true;
  }
}

/**
 * Whether a sent claim left nothing due behind, so that a claim to end the drain could
 * only find nothing: it leased fewer rows than it may and fewer than `perCustomer` of
 * each customer, and Telegram asks for no pause. The caller also checks that no batch
 * was sending beside it (whose customers it skipped) and that every row was settled.
 * An event committed since that claim rang the bell (a ring during the drain runs
 * another), or found the ring locks given back, and taking them again rings
 * (busy-locks.ts). At 20 events a second this saves a round trip per event.
 */
function tookAllDue(d: DrainOptions, claim: Claim): boolean {
  const { rows } = claim;
  if (rows.length === 0 || rows.length >= d.claimLimit) return false;
  if (d.state.pausedUntil > performance.now()) return false;
  if (rows.length < d.perCustomer) return true;
  const perCustomer = new Map<string, number>();
  for (const row of rows) {
    const n = (perCustomer.get(row.user_id) ?? 0) + 1;
    if (n >= d.perCustomer) return false;
    perCustomer.set(row.user_id, n);
  }
  return true;
}

/**
 * Sends a claim. A full one means more is waiting: it is awaited only up to its tail,
 * where the next claim starts, and keeps sending beside the next batch.
 */
async function send(d: DrainOptions, flight: Flight, claim: LeasedClaim): Promise<void> {
  const full = claim.rows.length >= d.claimLimit;
  const earliestTail = full ? earliestTailOf(d, claim.rows.length) : 0;
  let reachedTail = () => {};
  const tail = new Promise<void>((resolve) => {
    reachedTail = resolve;
  });
  const atTail = () => {
    if (full && running(d.state) && d.state.pausedUntil <= performance.now())
      flight.next ??= claimBatch(d);
    reachedTail();
  };
  let later: NodeJS.Timeout | undefined;
  const delivery = d.deliverBatch(
    claim.rows,
    () => {
      const wait = earliestTail - performance.now();
      if (wait > 0) later = setTimeout(atTail, wait);
      else atTail();
    },
    claim.leaseEndsAt,
  );
  // A batch that ended before its tail was due (stopped, paused) leaves no claim behind.
  delivery.finally(() => clearTimeout(later)).catch(() => {});
  // Awaited below or by the next round; until then a failure is not unhandled.
  delivery.catch(() => {});
  flight.current = delivery;
  await flight.previous;
  flight.previous = undefined;
  if (full) {
    await Promise.race([tail, delivery]);
    flight.previous = delivery;
  } else {
    await delivery;
  }
  flight.current = undefined;
}

/**
 * Under a send cap, when a batch of `rows` rows started now may reach its tail at the
 * earliest (performance.now() time): the cap lets its last row go no sooner than rows ÷
 * cap seconds from now, and the next claim is wanted twice the last claim's time (at most
 * a second) before that. The tail deliver.ts finds from the pace of the rows started so far
 * comes as soon as the first chains start, which under a cap wait for the limiter: the next
 * claim would then lease rows a whole batch ahead, whose leases run out before their turn.
 * Without a cap: now.
 */
function earliestTailOf(d: DrainOptions, rows: number): number {
  const now = performance.now();
  if (d.maxPerSecond <= 0) return now;
  const lead = Math.min(2 * d.state.lastClaimMs, 1_000);
  return now + (rows * 1000) / d.maxPerSecond - lead;
}

/** Also when a round failed: no batch keeps sending after the drain is over. */
async function land(d: DrainOptions, flight: Flight): Promise<void> {
  await Promise.allSettled([flight.previous, flight.current]);
  if (flight.next) {
    const left = await flight.next.catch(() => undefined);
    if (left) await release(d.sql, idsOf(left.rows)).catch(() => {});
  }
  if (flight.becameBusy) {
    await flight.becameBusy;
    await d.busy.set(false);
  }
}
