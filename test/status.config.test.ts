import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, describeConfig, loadConfig } from "../src/config.ts";

const dir = mkdtempSync(join(tmpdir(), "status-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A valid environment without email verification, plus `STATUS_PASSWORD` as given. */
const env = (password: string | undefined) => ({
  TELEGRAM_CUSTOMER_BOT_TOKEN: "123456789:AAH-status_test_TOKEN_value_0123456789",
  TELEGRAM_CHAT_ID_KEY: randomBytes(32).toString("base64"),
  LINK_VERIFICATION: "none",
  STATUS_PASSWORD: password,
});

describe("STATUS_PASSWORD", () => {
  it("unset or empty: the status page is off", () => {
    expect(loadConfig(env(undefined), { cwd: dir }).statusPassword).toBeUndefined();
    expect(loadConfig(env(""), { cwd: dir }).statusPassword).toBeUndefined();
  });

  it("is a secret: shown as set, kept out of the printed configuration and of the log's lines", () => {
    const password = "shop-owner-Pa55word";
    const config = loadConfig(env(password), { cwd: dir });
    expect(config.statusPassword).toBe(password);
    expect(describeConfig(config)).toMatchObject({ statusPassword: "set" });
    expect(JSON.stringify(describeConfig(config))).not.toContain(password);
    expect(inspect(config, { depth: 5 })).not.toContain(password);
    expect(config.secrets).toContain(password);
  });

  it("shorter than 12 characters: a problem that names the fix and never quotes the value", () => {
    const short = "Sh0rt-pw";
    let error: unknown;
    try {
      loadConfig(env(short), { cwd: dir });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      "STATUS_PASSWORD: is shorter than 12 characters. Fix: set a longer one, e.g. the output of `openssl rand -base64 18`.",
    ]);
    expect((error as Error).message).not.toContain(short);
  });
});
