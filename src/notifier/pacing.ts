/**
 * How fast the notifier sends: a cap on messages per second, a cap on customers sent to
 * at once, and the customer's quiet hours (sent silently then). No I/O; the clock is a
 * parameter so tests can drive it.
 */

/** What the rate limiter reads the time from and waits with. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

/** Date.now() and setTimeout. */
export const systemClock: Clock = { now: Date.now, sleep };

/**
 * Waits so that at most `perSecond` calls pass per second (0 = no limit): each call is
 * given the next free slot, 1/perSecond apart, and waits for it.
 */
export function rateLimiter(perSecond: number, clock: Clock = systemClock): () => Promise<void> {
  if (perSecond <= 0) return async () => {};
  const interval = 1000 / perSecond;
  let next = 0;
  return async () => {
    const now = clock.now();
    const at = Math.max(now, next);
    next = at + interval;
    if (at > now) await clock.sleep(at - now);
  };
}

export interface Semaphore {
  acquire(): Promise<void>;
  release(): void;
}

/** `n` slots, handed out first come, first served. */
export function semaphore(n: number): Semaphore {
  let free = n;
  const waiting: Array<() => void> = [];
  return {
    acquire() {
      if (free > 0) {
        free--;
        return Promise.resolve();
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    release() {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
  };
}

/**
 * Whether `now` (defaults to the current time) is inside [start, end) hours in `timeZone` (wrapping midnight when start
 * > end). No window when either is null or they are equal; an unknown time zone counts
 * as UTC.
 */
export function inQuietHours(
  start: number | null,
  end: number | null,
  timeZone: string,
  now?: Date,
): boolean {
  if (start === null || end === null || start === end) return false;
  // Made only here: most customers have no quiet hours, and this runs for every message.
  const at = now ?? new Date();
  let hour: number;
  try {
    hour = Number(
      new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", hourCycle: "h23" }).format(at),
    );
  } catch {
    hour = at.getUTCHours();
  }
  return start < end ? hour >= start && hour < end : hour >= start || hour < end;
}
