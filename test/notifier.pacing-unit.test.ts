import { describe, expect, it, vi } from "vitest";
import {
  type Clock,
  inQuietHours,
  rateLimiter,
  semaphore,
  systemClock,
} from "../src/notifier/pacing.ts";

// The send cap, the customers-at-once cap and quiet hours, on a clock the test drives.

/** A clock that only moves when someone sleeps on it; it records every wait. */
function fakeClock(start = 1_000_000): Clock & { waits: number[]; at: number } {
  const clock = {
    at: start,
    waits: [] as number[],
    now: () => clock.at,
    sleep: async (ms: number) => {
      clock.waits.push(ms);
      clock.at += ms;
    },
  };
  return clock;
}

describe("the rate limiter", () => {
  it("lets the first call through and spaces the next ones 1/perSecond apart", async () => {
    const clock = fakeClock();
    const limit = rateLimiter(4, clock);
    const passedAt: number[] = [];
    for (let i = 0; i < 5; i++) {
      await limit();
      passedAt.push(clock.at - 1_000_000);
    }
    expect(passedAt).toEqual([0, 250, 500, 750, 1_000]);
  });

  it("gives calls made at once consecutive slots", async () => {
    const clock = fakeClock();
    // Nobody advances the clock between the calls: each is handed the next slot.
    const frozen: Clock = { now: clock.now, sleep: async (ms) => void clock.waits.push(ms) };
    const burst = rateLimiter(10, frozen);
    await Promise.all([burst(), burst(), burst(), burst()]);
    expect(clock.waits).toEqual([100, 200, 300]);
  });

  it("does not bank unused time: after a quiet spell the next calls are spaced again", async () => {
    const clock = fakeClock();
    const limit = rateLimiter(2, clock);
    await limit();
    clock.at += 10_000;
    await limit();
    await limit();
    expect(clock.waits).toEqual([500]);
  });

  it("with 0 per second never waits", async () => {
    const clock = fakeClock();
    const limit = rateLimiter(0, clock);
    for (let i = 0; i < 100; i++) await limit();
    expect(clock.waits).toEqual([]);
  });
});

describe("the semaphore", () => {
  /** Lets every promise callback that is ready run. */
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it("hands out n slots at once, then the freed ones first come, first served", async () => {
    const slots = semaphore(2);
    const order: string[] = [];
    await slots.acquire();
    await slots.acquire();
    const waiters = ["a", "b", "c"].map((name) =>
      slots.acquire().then(() => {
        order.push(name);
      }),
    );
    await settle();
    expect(order).toEqual([]);
    slots.release();
    await settle();
    expect(order).toEqual(["a"]);
    slots.release();
    await settle();
    expect(order).toEqual(["a", "b"]);
    slots.release();
    await Promise.all(waiters);
    expect(order).toEqual(["a", "b", "c"]);
    // All three hold a slot now: a fourth waits for the next release.
    let fourth = false;
    const late = slots.acquire().then(() => {
      fourth = true;
    });
    await settle();
    expect(fourth).toBe(false);
    slots.release();
    await late;
    expect(fourth).toBe(true);
  });

  it("gives a released slot back to the pool when nobody waits", async () => {
    const slots = semaphore(1);
    await slots.acquire();
    slots.release();
    let got = false;
    await slots.acquire().then(() => {
      got = true;
    });
    expect(got).toBe(true);
  });
});

describe("quiet hours", () => {
  const at = (iso: string) => new Date(iso);

  it("cover [start, end) in the customer's time zone", () => {
    // 22:30 in Paris (UTC+1 in winter) is 21:30 UTC.
    expect(inQuietHours(22, 23, "Europe/Paris", at("2026-01-15T21:30:00Z"))).toBe(true);
    expect(inQuietHours(22, 23, "UTC", at("2026-01-15T21:30:00Z"))).toBe(false);
    expect(inQuietHours(9, 17, "UTC", at("2026-01-15T08:59:00Z"))).toBe(false);
    expect(inQuietHours(9, 17, "UTC", at("2026-01-15T09:00:00Z"))).toBe(true);
    expect(inQuietHours(9, 17, "UTC", at("2026-01-15T16:59:00Z"))).toBe(true);
    expect(inQuietHours(9, 17, "UTC", at("2026-01-15T17:00:00Z"))).toBe(false);
  });

  it("wrap midnight when start is after end", () => {
    const quiet = (iso: string) => inQuietHours(22, 7, "Asia/Dubai", at(iso));
    // Dubai is UTC+4: 22:00 there is 18:00 UTC, 07:00 there is 03:00 UTC.
    expect(quiet("2026-01-15T17:59:00Z")).toBe(false);
    expect(quiet("2026-01-15T18:00:00Z")).toBe(true);
    expect(quiet("2026-01-15T20:00:00Z")).toBe(true); // midnight in Dubai
    expect(quiet("2026-01-16T02:59:00Z")).toBe(true);
    expect(quiet("2026-01-16T03:00:00Z")).toBe(false);
    expect(quiet("2026-01-16T12:00:00Z")).toBe(false);
  });

  it("are off when unset or empty (start = end)", () => {
    const noon = at("2026-01-15T12:00:00Z");
    expect(inQuietHours(null, 7, "UTC", noon)).toBe(false);
    expect(inQuietHours(22, null, "UTC", noon)).toBe(false);
    expect(inQuietHours(12, 12, "UTC", noon)).toBe(false);
    // At hours that a missing end or start read as 0 would put inside a window.
    expect(inQuietHours(null, 7, "UTC", at("2026-01-15T03:00:00Z"))).toBe(false);
    expect(inQuietHours(22, null, "UTC", at("2026-01-15T23:00:00Z"))).toBe(false);
  });

  it("fall back to UTC hours for a time zone Intl does not know", () => {
    expect(inQuietHours(21, 23, "Mars/Olympus_Mons", at("2026-01-15T21:30:00Z"))).toBe(true);
    expect(inQuietHours(21, 23, "Mars/Olympus_Mons", at("2026-01-15T23:30:00Z"))).toBe(false);
  });
});

describe("the system clock", () => {
  it("reads Date.now", () => {
    const before = Date.now();
    const read = systemClock.now();
    expect(read).toBeGreaterThanOrEqual(before);
    expect(read).toBeLessThanOrEqual(Date.now());
  });

  it("sleeps until its timer fires, not before", async () => {
    vi.useFakeTimers();
    try {
      let woke = false;
      void systemClock.sleep(1_000).then(() => {
        woke = true;
      });
      await vi.advanceTimersByTimeAsync(999);
      expect(woke).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(woke).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
