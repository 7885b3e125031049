import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ChatIdCipher } from "../src/chat-id.ts";
import {
  CONFIG_VARIABLES,
  type Config,
  ConfigError,
  describeConfig,
  loadConfig,
} from "../src/config.ts";

const TOKEN = "123456789:AAH-recognizable_TOKEN_value_0123456789";
const KEY = randomBytes(32).toString("base64");
const SMTP_PASSWORD = "Smtp-Pa55word-recognizable";
const WEBHOOK_SECRET = "webhook_SECRET-recognizable-42";

/** An empty directory, so no stray `.env` from the repository is read. */
const emptyDir = mkdtempSync(join(tmpdir(), "config-test-empty-"));
const dirs = [emptyDir];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The smallest valid environment, plus overrides (`undefined` removes a variable). */
function env(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    TELEGRAM_CUSTOMER_BOT_TOKEN: TOKEN,
    TELEGRAM_CHAT_ID_KEY: KEY,
    SMTP_URL: `smtp://shop:${SMTP_PASSWORD}@mail.compucar.pro:587`,
    MAIL_FROM: "CompuCar <noreply@compucar.pro>",
    ...overrides,
  };
}

function load(vars: Record<string, string | undefined>, demo = false): Config {
  return loadConfig(vars, { cwd: emptyDir, demo });
}

/** The ConfigError `loadConfig` throws for these variables. */
function problemsOf(vars: Record<string, string | undefined>, demo = false): ConfigError {
  try {
    load(vars, demo);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("configuration defaults", () => {
  it("fills every default from a minimal environment", () => {
    const config = load(env());
    expect(config.databaseUrl).toBeUndefined();
    expect(config.telegram).toEqual({
      token: TOKEN,
      enabled: true,
      apiRoot: "https://api.telegram.org",
      mode: "polling",
      webhookUrl: undefined,
      webhookPath: undefined,
      webhookSecret: undefined,
    });
    expect(config.chatIds).toBeInstanceOf(ChatIdCipher);
    expect(config.websiteUrl).toBe("https://compucar.pro");
    expect(config.linkVerification).toBe("email");
    expect(config.smtp).toEqual({
      url: `smtp://shop:${SMTP_PASSWORD}@mail.compucar.pro:587`,
      from: "CompuCar <noreply@compucar.pro>",
    });
    expect(config.port).toBe(8080);
    expect(config.notifyMaxPerSecond).toBe(25);
    expect(config.notifyConcurrency).toBe(8);
    expect(config.outboxRetentionDays).toBe(30);
    expect(config.logLevel).toBe("info");
    expect(config.support).toEqual({
      email: undefined,
      phone: undefined,
      url: undefined,
      hours: undefined,
    });
    expect(config.demo).toBe(false);
  });

  it("reads every variable, trims values and strips trailing slashes", () => {
    const config = load(
      env({
        DATABASE_URL: "postgresql://bot:pw@db.internal:5432/compucar",
        TELEGRAM_CUSTOMER_BOT_ENABLED: "no",
        TELEGRAM_API_ROOT: "http://127.0.0.1:8081/",
        TELEGRAM_MODE: "Webhook",
        TELEGRAM_WEBHOOK_URL: "https://bot.compucar.pro/telegram/hook",
        TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
        WEBSITE_URL: " https://staging.compucar.pro/ ",
        LINK_VERIFICATION: "none",
        PORT: "3000",
        NOTIFY_MAX_PER_SECOND: "0",
        NOTIFY_CONCURRENCY: "2",
        OUTBOX_RETENTION_DAYS: "7",
        LOG_LEVEL: "DEBUG",
        SUPPORT_EMAIL: "support@compucar.pro",
        SUPPORT_PHONE: "+213 555 00 00 00",
        SUPPORT_URL: "https://compucar.pro/contact",
        SUPPORT_HOURS: "Sun–Thu 9:00–17:00",
      }),
    );
    expect(config.databaseUrl).toBe("postgresql://bot:pw@db.internal:5432/compucar");
    expect(config.telegram).toEqual({
      token: TOKEN,
      enabled: false,
      apiRoot: "http://127.0.0.1:8081",
      mode: "webhook",
      webhookUrl: "https://bot.compucar.pro/telegram/hook",
      webhookPath: "/telegram/hook",
      webhookSecret: WEBHOOK_SECRET,
    });
    expect(config.websiteUrl).toBe("https://staging.compucar.pro");
    expect(config.linkVerification).toBe("none");
    expect(config.port).toBe(3000);
    expect(config.notifyMaxPerSecond).toBe(0);
    expect(config.notifyConcurrency).toBe(2);
    expect(config.outboxRetentionDays).toBe(7);
    expect(config.logLevel).toBe("debug");
    expect(config.support).toEqual({
      email: "support@compucar.pro",
      phone: "+213 555 00 00 00",
      url: "https://compucar.pro/contact",
      hours: "Sun–Thu 9:00–17:00",
    });
  });

  it("accepts every spelling of the kill switch", () => {
    for (const [text, value] of [
      ["true", true],
      ["1", true],
      ["YES", true],
      ["false", false],
      ["0", false],
      ["no", false],
    ] as const) {
      expect(load(env({ TELEGRAM_CUSTOMER_BOT_ENABLED: text })).telegram.enabled).toBe(value);
    }
  });

  it("treats empty values as unset", () => {
    const config = load(env({ PORT: "", DATABASE_URL: "  ", SUPPORT_EMAIL: "" }));
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.support.email).toBeUndefined();
  });

  it("returns a frozen object whose cipher works with the key", () => {
    const config = load(env());
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.telegram)).toBe(true);
    expect(config.chatIds.encrypt(42)).toBe(ChatIdCipher.fromBase64(KEY).encrypt(42));
  });

  it("needs neither token nor key in the demo", () => {
    const config = load({ LINK_VERIFICATION: "none" }, true);
    expect(config.demo).toBe(true);
    expect(config.telegram.token).toMatch(/^\d+:[A-Za-z0-9_-]{30,}$/);
    expect(config.chatIds.decrypt(config.chatIds.encrypt(-5))).toBe("-5");
  });

  it("still validates a token or key given to the demo", () => {
    const error = problemsOf(
      {
        LINK_VERIFICATION: "none",
        TELEGRAM_CUSTOMER_BOT_TOKEN: "nope",
        TELEGRAM_CHAT_ID_KEY: "YWJj",
      },
      true,
    );
    expect(error.problems.map((p) => p.split(":")[0])).toEqual([
      "TELEGRAM_CUSTOMER_BOT_TOKEN",
      "TELEGRAM_CHAT_ID_KEY",
    ]);
  });
});

describe("configuration problems", () => {
  const cases: Array<[string, Record<string, string | undefined>, string]> = [
    [
      "missing token",
      { TELEGRAM_CUSTOMER_BOT_TOKEN: undefined },
      "TELEGRAM_CUSTOMER_BOT_TOKEN: is required. Fix: create the bot with @BotFather and set its token (or try everything offline with `npm run demo`).",
    ],
    [
      "malformed token",
      { TELEGRAM_CUSTOMER_BOT_TOKEN: "123456789-AAHshort" },
      "TELEGRAM_CUSTOMER_BOT_TOKEN: looks malformed: a BotFather token looks like 123456789:AA... Fix: copy it again from @BotFather.",
    ],
    [
      "malformed DATABASE_URL",
      { DATABASE_URL: "mysql://u:p@db/compucar" },
      "DATABASE_URL: must be a postgres:// or postgresql:// URL. Fix: set it like postgres://user:password@host:5432/database (percent-encode special characters in the password), or unset it to use the embedded PostgreSQL.",
    ],
    [
      "unparsable DATABASE_URL",
      { DATABASE_URL: "localhost:5432" },
      "DATABASE_URL: must be a postgres:// or postgresql:// URL.",
    ],
    [
      "missing key",
      { TELEGRAM_CHAT_ID_KEY: undefined },
      "TELEGRAM_CHAT_ID_KEY: is required; it encrypts chat ids at rest. Fix: make one with `openssl rand -base64 32` and keep it safe: without it stored chat ids are unreadable.",
    ],
    [
      "short key",
      { TELEGRAM_CHAT_ID_KEY: Buffer.alloc(16, 3).toString("base64") },
      "TELEGRAM_CHAT_ID_KEY: must be base64 of exactly 32 bytes (it decodes to 16). Fix: make one with `openssl rand -base64 32`",
    ],
    [
      "unknown mode",
      { TELEGRAM_MODE: "longpoll" },
      "TELEGRAM_MODE: must be polling or webhook. Fix: set it to polling or webhook.",
    ],
    [
      "webhook mode without URL",
      { TELEGRAM_MODE: "webhook", TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET },
      "TELEGRAM_WEBHOOK_URL: is required when TELEGRAM_MODE=webhook. Fix: set it to the public https URL Telegram should post updates to",
    ],
    [
      "webhook mode without secret",
      { TELEGRAM_MODE: "webhook", TELEGRAM_WEBHOOK_URL: "https://bot.compucar.pro/hook" },
      "TELEGRAM_WEBHOOK_SECRET: is required when TELEGRAM_MODE=webhook. Fix: set it to a random value, e.g. the output of `openssl rand -hex 32`.",
    ],
    [
      "plain-http webhook URL",
      { TELEGRAM_WEBHOOK_URL: "http://bot.compucar.pro/hook" },
      "TELEGRAM_WEBHOOK_URL: must be an https:// URL (Telegram only posts to https).",
    ],
    [
      "webhook secret with characters Telegram refuses",
      { TELEGRAM_WEBHOOK_SECRET: "has spaces and $ signs" },
      "TELEGRAM_WEBHOOK_SECRET: must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule).",
    ],
    [
      "email verification without SMTP_URL",
      { SMTP_URL: undefined },
      "SMTP_URL: is required when LINK_VERIFICATION=email. Fix: set it to smtp://user:pass@host:587 or set LINK_VERIFICATION=none.",
    ],
    [
      "email verification without MAIL_FROM",
      { MAIL_FROM: undefined },
      "MAIL_FROM: is required when LINK_VERIFICATION=email. Fix: set it to the sender",
    ],
    [
      "SMTP_URL of another scheme",
      { SMTP_URL: "https://mail.compucar.pro" },
      "SMTP_URL: must be an smtp:// or smtps:// URL.",
    ],
    [
      "MAIL_FROM that is not an address",
      { MAIL_FROM: "CompuCar" },
      "MAIL_FROM: must be an email address or Name <address>.",
    ],
    [
      "unknown LINK_VERIFICATION",
      { LINK_VERIFICATION: "sms" },
      "LINK_VERIFICATION: must be email or none. Fix: set it to email or none.",
    ],
    [
      "bad kill switch",
      { TELEGRAM_CUSTOMER_BOT_ENABLED: "maybe" },
      "TELEGRAM_CUSTOMER_BOT_ENABLED: must be true or false.",
    ],
    [
      "bad TELEGRAM_API_ROOT",
      { TELEGRAM_API_ROOT: "api.telegram.org" },
      "TELEGRAM_API_ROOT: must be an http:// or https:// URL.",
    ],
    [
      "bad PORT",
      { PORT: "70000" },
      "PORT: must be an integer from 1 to 65535. Fix: set it to a number such as 8080.",
    ],
    ["PORT 0", { PORT: "0" }, "PORT: must be an integer from 1 to 65535."],
    ["non-numeric PORT", { PORT: "http" }, "PORT: must be an integer from 1 to 65535."],
    [
      "negative NOTIFY_MAX_PER_SECOND",
      { NOTIFY_MAX_PER_SECOND: "-1" },
      "NOTIFY_MAX_PER_SECOND: must be a whole number of messages per second (0 = no cap). Fix: set it to a number such as 25.",
    ],
    [
      "fractional NOTIFY_MAX_PER_SECOND",
      { NOTIFY_MAX_PER_SECOND: "2.5" },
      "NOTIFY_MAX_PER_SECOND: must be a whole number of messages per second (0 = no cap).",
    ],
    [
      "zero NOTIFY_CONCURRENCY",
      { NOTIFY_CONCURRENCY: "0" },
      "NOTIFY_CONCURRENCY: must be an integer from 1 to 1000.",
    ],
    [
      "zero OUTBOX_RETENTION_DAYS",
      { OUTBOX_RETENTION_DAYS: "0" },
      "OUTBOX_RETENTION_DAYS: must be a whole number of days, at least 1.",
    ],
    [
      "unknown LOG_LEVEL",
      { LOG_LEVEL: "verbose" },
      "LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent. Fix: set it to info.",
    ],
  ];

  it.each(cases)("%s: one line naming the variable", (_name, overrides, expected) => {
    const error = problemsOf(env(overrides));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain(expected);
    expect(error.message).toBe(
      `Configuration problems (fix these and start again):\n  - ${error.problems[0]}`,
    );
  });

  it("webhook mode without URL or secret lists both", () => {
    const error = problemsOf(env({ TELEGRAM_MODE: "webhook" }));
    expect(error.problems.map((p) => p.split(":")[0])).toEqual([
      "TELEGRAM_WEBHOOK_URL",
      "TELEGRAM_WEBHOOK_SECRET",
    ]);
  });

  it("lists every problem together, one line each", () => {
    const error = problemsOf({
      TELEGRAM_MODE: "webhook",
      PORT: "-3",
      DATABASE_URL: "mysql://x",
      NOTIFY_MAX_PER_SECOND: "lots",
    });
    const lines = error.message.split("\n");
    expect(lines[0]).toBe("Configuration problems (fix these and start again):");
    expect(lines.slice(1)).toEqual(error.problems.map((p) => `  - ${p}`));
    expect(error.problems.map((p) => p.split(":")[0])).toEqual([
      "DATABASE_URL",
      "TELEGRAM_CUSTOMER_BOT_TOKEN",
      "TELEGRAM_WEBHOOK_URL",
      "TELEGRAM_WEBHOOK_SECRET",
      "TELEGRAM_CHAT_ID_KEY",
      "SMTP_URL",
      "MAIL_FROM",
      "PORT",
      "NOTIFY_MAX_PER_SECOND",
    ]);
    for (const problem of error.problems) expect(problem).toMatch(/^[A-Z_]+: .+\. Fix: .+\.$/);
  });

  it("never puts a secret in the message", () => {
    const badKey = Buffer.from("recognizable-short-key").toString("base64");
    const error = problemsOf({
      TELEGRAM_CUSTOMER_BOT_TOKEN: "123456789:recognizable-but-too-short",
      TELEGRAM_CHAT_ID_KEY: badKey,
      TELEGRAM_WEBHOOK_SECRET: `${WEBHOOK_SECRET} with spaces`,
      SMTP_URL: `smtp://shop:${SMTP_PASSWORD}@mail.compucar.pro:587`,
      DATABASE_URL: `mysql://shop:${SMTP_PASSWORD}@db`,
      PORT: "x",
    });
    expect(error.problems).toHaveLength(6);
    for (const secret of ["recognizable", badKey, WEBHOOK_SECRET, SMTP_PASSWORD, "too-short"]) {
      expect(error.message).not.toContain(secret);
      expect(inspect(error)).not.toContain(secret);
    }
  });

  it("never shows secrets when the config is logged, printed or described", () => {
    const config = load(
      env({
        DATABASE_URL: `postgres://bot:${SMTP_PASSWORD}@db:5432/compucar`,
        TELEGRAM_MODE: "webhook",
        TELEGRAM_WEBHOOK_URL: "https://bot.compucar.pro/hook",
        TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
      }),
    );
    const described = describeConfig(config);
    expect(described).toMatchObject({
      databaseUrl: "postgres://db:5432/compucar",
      telegram: { token: "set", webhookSecret: "set", mode: "webhook" },
      chatIdKey: "set",
      smtp: { url: "smtp://mail.compucar.pro:587", from: "CompuCar <noreply@compucar.pro>" },
    });
    for (const text of [JSON.stringify(described), JSON.stringify({ config }), inspect(config)]) {
      for (const secret of [TOKEN, KEY, WEBHOOK_SECRET, SMTP_PASSWORD]) {
        expect(text).not.toContain(secret);
      }
    }
  });
});

describe(".env files", () => {
  it("reads .env.local over .env, and the environment over both", () => {
    const dir = mkdtempSync(join(tmpdir(), "config-test-dotenv-"));
    dirs.push(dir);
    writeFileSync(
      join(dir, ".env"),
      [
        `TELEGRAM_CUSTOMER_BOT_TOKEN=${TOKEN}`,
        `TELEGRAM_CHAT_ID_KEY="${KEY}"`,
        "LINK_VERIFICATION=none",
        "PORT=1111",
        "LOG_LEVEL=warn",
        "SUPPORT_HOURS='9:00 - 17:00' # comment",
        "WEBSITE_URL=https://from-dotenv.example",
      ].join("\n"),
    );
    writeFileSync(join(dir, ".env.local"), "PORT=2222\nLOG_LEVEL=debug\n");
    const config = loadConfig({ LOG_LEVEL: "error", WEBSITE_URL: undefined }, { cwd: dir });
    expect(config.telegram.token).toBe(TOKEN);
    expect(config.linkVerification).toBe("none");
    expect(config.port).toBe(2222);
    expect(config.logLevel).toBe("error");
    expect(config.support.hours).toBe("9:00 - 17:00");
    expect(config.websiteUrl).toBe("https://from-dotenv.example");
  });

  it("works with only one of the files, or none", () => {
    const dir = mkdtempSync(join(tmpdir(), "config-test-dotenv-"));
    dirs.push(dir);
    writeFileSync(join(dir, ".env.local"), "PORT=3333\n");
    expect(loadConfig(env(), { cwd: dir }).port).toBe(3333);
    expect(loadConfig(env(), { cwd: emptyDir }).port).toBe(8080);
  });
});

describe("CONFIG_VARIABLES", () => {
  it("documents every variable of the interface contract once, with a description", () => {
    const names = CONFIG_VARIABLES.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of [
      "DATABASE_URL",
      "TELEGRAM_CUSTOMER_BOT_TOKEN",
      "TELEGRAM_CUSTOMER_BOT_ENABLED",
      "TELEGRAM_API_ROOT",
      "TELEGRAM_MODE",
      "TELEGRAM_WEBHOOK_URL",
      "TELEGRAM_WEBHOOK_SECRET",
      "TELEGRAM_CHAT_ID_KEY",
      "WEBSITE_URL",
      "LINK_VERIFICATION",
      "SMTP_URL",
      "MAIL_FROM",
      "PORT",
      "NOTIFY_MAX_PER_SECOND",
      "LOG_LEVEL",
      "SUPPORT_EMAIL",
      "SUPPORT_PHONE",
      "SUPPORT_URL",
      "SUPPORT_HOURS",
      "OUTBOX_RETENTION_DAYS",
      "NOTIFY_CONCURRENCY",
    ]) {
      expect(names).toContain(name);
    }
    for (const v of CONFIG_VARIABLES) expect(v.description.length).toBeGreaterThan(5);
  });

  it("is the README's configuration table, row for row: names, descriptions and defaults", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("\n## Configuration\n"));
    const table = section.slice(0, section.indexOf("\n## ", 1));
    const rows = table.split("\n").filter((line) => line.startsWith("| `"));
    expect(rows).toEqual(
      CONFIG_VARIABLES.map(
        (v) =>
          `| \`${v.name}\` | ${v.description} | ${v.default === undefined ? "" : `\`${v.default}\``} |`,
      ),
    );
  });
});
