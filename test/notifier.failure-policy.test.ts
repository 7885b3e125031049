import { GrammyError, HttpError } from "grammy";
import { describe, expect, it } from "vitest";
import {
  classify,
  type FailedRow,
  retryDelay,
  TOKEN_REFUSED,
} from "../src/notifier/failure-policy.ts";

// What the policy decides for each way Telegram (or the network) can refuse a message,
// without HTTP or a database: the notifier applies these verdicts as they are.

const NOW = Date.parse("2026-03-01T12:00:00Z");
const HOUR = 3600 * 1000;
const row = (attempts = 1, ageMs = 60_000): FailedRow => ({
  attempts,
  created_at: new Date(NOW - ageMs),
});

function telegram(code: number, description: string, retryAfter?: number): GrammyError {
  return new GrammyError(
    "Call to 'sendMessage' failed!",
    {
      ok: false,
      error_code: code,
      description,
      ...(retryAfter === undefined ? {} : { parameters: { retry_after: retryAfter } }),
    },
    "sendMessage",
    {},
  );
}

describe("the failure policy", () => {
  it("429 pauses for retry_after seconds, or one second when Telegram names none", () => {
    const description = "Too Many Requests: retry after 7";
    expect(classify(telegram(429, description, 7), row(), NOW)).toEqual({
      action: "pause",
      lastError: description,
      retryAfterMs: 7_000,
    });
    expect(classify(telegram(429, "Too Many Requests"), row(), NOW)).toEqual({
      action: "pause",
      lastError: "Too Many Requests",
      retryAfterMs: 1_000,
    });
  });

  it("401 and 404 are fatal, with the line that tells the operator which setting to fix", () => {
    for (const [code, description] of [
      [401, "Unauthorized"],
      [404, "Not Found"],
    ] as const) {
      expect(classify(telegram(code, description), row(), NOW)).toEqual({
        action: "fatal",
        lastError: description,
        message: TOKEN_REFUSED,
      });
    }
    expect(TOKEN_REFUSED).toContain("TELEGRAM_CUSTOMER_BOT_TOKEN");
  });

  it("403 fails the row; only a blocked, deactivated or kicked chat is marked blocked", () => {
    for (const description of [
      "Forbidden: bot was blocked by the user",
      "Forbidden: user is deactivated",
      "Forbidden: bot was kicked from the group chat",
    ]) {
      expect(classify(telegram(403, description), row(), NOW)).toEqual({
        action: "block",
        lastError: description,
        chatBlocked: true,
      });
    }
    const other = "Forbidden: bot can't initiate conversation with a user";
    expect(classify(telegram(403, other), row(), NOW)).toEqual({
      action: "block",
      lastError: other,
      chatBlocked: false,
    });
  });

  it("400 fails the row for good: chat not found apart from any other bad request", () => {
    expect(classify(telegram(400, "Bad Request: chat not found"), row(), NOW)).toEqual({
      action: "fail",
      lastError: "Bad Request: chat not found",
      reason: "chat not found",
    });
    const bad = "Bad Request: can't parse entities: unsupported start tag";
    expect(classify(telegram(400, bad), row(), NOW)).toEqual({
      action: "fail",
      lastError: bad,
      reason: "bad request",
    });
  });

  it("5xx, network errors and unknown errors are retried, each with its own reason", () => {
    const half = { random: () => 0.5 };
    expect(classify(telegram(502, "Bad Gateway"), row(2), NOW, half)).toEqual({
      action: "retry",
      lastError: "502 Bad Gateway",
      delayMs: 2_000,
      reason: "502",
    });
    const network = new HttpError("Network request failed", new Error("ECONNRESET"));
    expect(classify(network, row(0), NOW, half)).toEqual({
      action: "retry",
      lastError: "network error",
      delayMs: 500,
      reason: "network",
    });
    expect(classify(new TypeError("boom"), row(3), NOW, half)).toEqual({
      action: "retry",
      lastError: "TypeError: boom",
      delayMs: 4_000,
      reason: "network",
    });
  });

  it("gives up on a transient failure once the event is older than 24 h (or maxAgeMs)", () => {
    const network = new HttpError("Network request failed", new Error("ETIMEDOUT"));
    expect(classify(network, row(40, 24 * HOUR + 1), NOW)).toEqual({
      action: "fail",
      lastError: "gave up after 40 attempts: network error",
      reason: "too old",
    });
    expect(classify(telegram(500, "Internal Server Error"), row(9, 24 * HOUR - 1), NOW)).toEqual(
      expect.objectContaining({ action: "retry" }),
    );
    // Exactly 24 h old is not yet older than 24 h: one more try.
    expect(classify(network, row(12, 24 * HOUR), NOW)).toEqual(
      expect.objectContaining({ action: "retry", lastError: "network error" }),
    );
    expect(classify(network, row(5, 2 * HOUR), NOW, { maxAgeMs: HOUR })).toEqual({
      action: "fail",
      lastError: "gave up after 5 attempts: network error",
      reason: "too old",
    });
    // Permanent refusals and pauses do not wait for the age.
    expect(classify(telegram(429, "Too Many Requests", 3), row(40, 48 * HOUR), NOW).action).toBe(
      "pause",
    );
  });

  it("backs off from 500 ms doubling to a 60 s cap, jittered between 0.75× and 1.25×", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 30].map((a) => retryDelay(a, 0.5))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
    expect(retryDelay(0, 0)).toBe(375);
    expect(retryDelay(30, 0)).toBe(45_000);
    expect(retryDelay(0, 0.999_999)).toBeCloseTo(625, 3);
    expect(retryDelay(30, 0.999_999)).toBeCloseTo(75_000, 0);
    for (let i = 0; i < 200; i++) {
      const { delayMs } = classify(telegram(503, "Service Unavailable"), row(1), NOW) as {
        delayMs: number;
      };
      expect(delayMs).toBeGreaterThanOrEqual(750);
      expect(delayMs).toBeLessThan(1_250);
    }
  });
});
