import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// The configuration modules are imported inside the tests, not at the top of the file: a
// mistake that makes them throw at import (an empty CONFIG_VARIABLES, a variable whose
// default a schema names missing from it) then fails a test here. A file that imports them
// at the top fails to load instead, and the mutation runner counts only failed tests.

const dir = mkdtempSync(join(tmpdir(), "unit-config-load-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the configuration modules", () => {
  it("load, and give each number and the log level its documented default", async () => {
    const { loadConfig } = await import("../src/config.ts");
    const config = loadConfig(
      {
        TELEGRAM_CUSTOMER_BOT_TOKEN: "123456789:AAH-unit_test_TOKEN_value_0123456789",
        TELEGRAM_CHAT_ID_KEY: randomBytes(32).toString("base64"),
        LINK_VERIFICATION: "none",
      },
      { cwd: dir },
    );
    expect({
      port: config.port,
      notifyMaxPerSecond: config.notifyMaxPerSecond,
      notifyConcurrency: config.notifyConcurrency,
      outboxRetentionDays: config.outboxRetentionDays,
      logLevel: config.logLevel,
    }).toEqual({
      port: 8080,
      notifyMaxPerSecond: 25,
      notifyConcurrency: 8,
      outboxRetentionDays: 30,
      logLevel: "info",
    });
  });

  it("defaultOf names a variable that has no default, or is not one", async () => {
    const { defaultOf } = await import("../src/config/variables.ts");
    expect(defaultOf("PORT")).toBe("8080");
    expect(() => defaultOf("SMTP_URL")).toThrow(
      new Error("CONFIG_VARIABLES: SMTP_URL has no default"),
    );
    expect(() => defaultOf("NO_SUCH_VARIABLE")).toThrow(
      new Error("CONFIG_VARIABLES: NO_SUCH_VARIABLE has no default"),
    );
  });
});
