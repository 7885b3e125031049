import { describe, expect, it } from "vitest";
import { claimLead, reachedTail } from "../src/notifier/claim-lead.ts";

// When a full batch starts the next claim: the arithmetic alone, without a database.

describe("the claim lead", () => {
  it("is the rows this batch sends, at its pace, in twice the last claim's time", () => {
    // 100 rows in 50 ms = 2 rows/ms; the last claim took 20 ms: 40 ms ahead = 80 rows.
    expect(claimLead(100, 50, 20)).toBe(80);
    // A slower batch leads by fewer rows.
    expect(claimLead(10, 50, 20)).toBe(8);
  });

  it("counts at most a second of the last claim's time", () => {
    // 1 row/ms; a 3 s claim counts as 1 s, not 6 s.
    expect(claimLead(200, 200, 3_000)).toBe(1_000);
    expect(claimLead(200, 200, 400)).toBe(800);
  });

  it("is 0 before any time has passed or before the first claim was timed", () => {
    expect(claimLead(5, 0, 100)).toBe(0);
    expect(claimLead(0, 0, 0)).toBe(0);
    expect(claimLead(100, 50, 0)).toBe(0);
  });
});

describe("the tail of a batch", () => {
  const concurrency = 8;

  it("begins when fewer chains wait than may send at once", () => {
    // No pace yet (no time passed), 500 rows left: only the waiting chains decide.
    expect(reachedTail(500, 0, 8, concurrency, 0, 30)).toBe(false);
    expect(reachedTail(500, 0, 7, concurrency, 0, 30)).toBe(true);
  });

  it("begins earlier when the rows left are within the claim lead", () => {
    // 500 rows, 400 started in 100 ms (4 rows/ms), last claim 15 ms: lead 120 rows.
    expect(reachedTail(500, 400, 90, concurrency, 100, 15)).toBe(true);
    // 379 started in 100 ms: lead 113.7 rows, 121 left.
    expect(reachedTail(500, 379, 90, concurrency, 100, 15)).toBe(false);
  });

  it("begins exactly when the rows left equal the lead", () => {
    // 2 rows/ms × 40 ms = 80 rows lead; 420 of 500 started leaves 80.
    expect(reachedTail(500, 420, 50, concurrency, 210, 20)).toBe(true);
    expect(reachedTail(500, 419, 50, concurrency, 209.5, 20)).toBe(false);
  });

  it("does not begin while many chains wait and the last claim was instant", () => {
    expect(reachedTail(500, 499, 50, concurrency, 100, 0)).toBe(false);
    expect(reachedTail(500, 500, 50, concurrency, 100, 0)).toBe(true);
  });
});
