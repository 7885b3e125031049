import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ChatIdCipher } from "../src/chat-id.ts";
import { scrub } from "../src/config/redact.ts";
import {
  CONFIG_VARIABLES,
  type Config,
  ConfigError,
  describeConfig,
  loadChatIdCipher,
  loadConfig,
  loadDatabaseConfig,
} from "../src/config.ts";

const TOKEN = "123456789:AAH-unit_test_TOKEN_value_0123456789";
const KEY = randomBytes(32).toString("base64");
const DB_PASSWORD = "db-Pa55word-unit-test";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
/** A new empty directory (so no stray `.env` is read), removed after the file. */
function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "unit-config-"));
  dirs.push(dir);
  return dir;
}
const emptyDir = newDir();

/** The smallest valid environment without email verification, plus overrides. */
function env(overrides: Record<string, string | undefined> = {}) {
  return {
    TELEGRAM_CUSTOMER_BOT_TOKEN: TOKEN,
    TELEGRAM_CHAT_ID_KEY: KEY,
    LINK_VERIFICATION: "none",
    ...overrides,
  };
}

function load(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig(env(overrides), { cwd: emptyDir });
}

/** The lines of the ConfigError that `fn` throws. */
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("what an operator reads for each mistake", () => {
  const cases: Array<[Record<string, string>, string]> = [
    [
      { TELEGRAM_CUSTOMER_BOT_ENABLED: "maybe" },
      "TELEGRAM_CUSTOMER_BOT_ENABLED: must be true or false. Fix: set it to true or false.",
    ],
    [
      { TELEGRAM_API_ROOT: "api.telegram.org" },
      "TELEGRAM_API_ROOT: must be an http:// or https:// URL. Fix: set it like https://example.com.",
    ],
    [
      { WEBSITE_URL: "ftp://compucar.pro" },
      "WEBSITE_URL: must be an http:// or https:// URL. Fix: set it like https://example.com.",
    ],
    [
      { TELEGRAM_WEBHOOK_URL: "http://bot.compucar.pro/hook" },
      "TELEGRAM_WEBHOOK_URL: must be an https:// URL (Telegram only posts to https). Fix: set it like https://bot.compucar.pro/telegram/webhook.",
    ],
    [
      { TELEGRAM_WEBHOOK_SECRET: "not allowed!" },
      "TELEGRAM_WEBHOOK_SECRET: must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule). Fix: set it to the output of `openssl rand -hex 32`.",
    ],
    [
      { SMTP_URL: "https://mail.compucar.pro" },
      "SMTP_URL: must be an smtp:// or smtps:// URL. Fix: set it like smtp://user:pass@host:587 (percent-encode special characters in the password).",
    ],
    [
      { MAIL_FROM: "CompuCar" },
      "MAIL_FROM: must be an email address or Name <address>. Fix: set it like CompuCar <noreply@compucar.pro>.",
    ],
  ];
  it.each(cases)("%o", (overrides, line) => {
    expect(problemsOf(() => load(overrides))).toEqual([line]);
  });

  it("a .env that cannot be read: its path, the reason and the fix", () => {
    const dir = newDir();
    mkdirSync(join(dir, ".env"));
    expect(problemsOf(() => loadConfig(env(), { cwd: dir }))).toEqual([
      `${join(dir, ".env")}: could not be read (EISDIR). Fix: make it readable by the service's user, or remove it.`,
    ]);
  });

  it("the error is a ConfigError by name, as logs show it", () => {
    const error = (() => {
      try {
        load({ PORT: "x" });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.name).toBe("ConfigError");
    expect(String(error).split("\n")[0]).toBe(
      "ConfigError: Configuration problems (fix these and start again):",
    );
  });
});

describe("values at the edges", () => {
  it("accepts the largest value of each number", () => {
    const config = load({
      PORT: "65535",
      NOTIFY_MAX_PER_SECOND: "1000000",
      NOTIFY_CONCURRENCY: "1000",
      OUTBOX_RETENTION_DAYS: "36500",
    });
    expect([
      config.port,
      config.notifyMaxPerSecond,
      config.notifyConcurrency,
      config.outboxRetentionDays,
    ]).toEqual([65535, 1_000_000, 1000, 36500]);
    expect(load({ PORT: "1", NOTIFY_CONCURRENCY: "1", OUTBOX_RETENTION_DAYS: "1" }).port).toBe(1);
  });

  it("refuses one more than the largest", () => {
    expect(
      problemsOf(() =>
        load({
          PORT: "65536",
          NOTIFY_MAX_PER_SECOND: "1000001",
          NOTIFY_CONCURRENCY: "1001",
          OUTBOX_RETENTION_DAYS: "36501",
        }),
      ).map((p) => p.split(":")[0]),
    ).toEqual(["PORT", "NOTIFY_MAX_PER_SECOND", "NOTIFY_CONCURRENCY", "OUTBOX_RETENTION_DAYS"]);
  });

  it("strips every trailing slash of a URL", () => {
    expect(load({ WEBSITE_URL: "https://compucar.pro///" }).websiteUrl).toBe(
      "https://compucar.pro",
    );
  });

  it("accepts each documented spelling of the modes, any case", () => {
    expect(load({ TELEGRAM_MODE: "POLLING" }).telegram.mode).toBe("polling");
    expect(
      loadConfig(
        {
          ...env({ LINK_VERIFICATION: "Email" }),
          SMTP_URL: "smtps://mail.compucar.pro:465",
          MAIL_FROM: "noreply@compucar.pro",
        },
        { cwd: emptyDir },
      ).smtp,
    ).toEqual({ url: "smtps://mail.compucar.pro:465", from: "noreply@compucar.pro" });
  });

  it("a bot token is digits, a colon and 30 or more token characters, nothing around it", () => {
    for (const bad of [`x${TOKEN}`, `${TOKEN}!`, `${TOKEN} extra`, "123:short"]) {
      expect(problemsOf(() => load({ TELEGRAM_CUSTOMER_BOT_TOKEN: bad }))).toEqual([
        "TELEGRAM_CUSTOMER_BOT_TOKEN: looks malformed: a BotFather token looks like 123456789:AA... Fix: copy it again from @BotFather.",
      ]);
    }
  });

  it("MAIL_FROM: a bare address or Name <address>, nothing else", () => {
    for (const good of ["noreply@compucar.pro", "CompuCar <noreply@compucar.pro>", "<a@b>"]) {
      expect(load({ MAIL_FROM: good, SMTP_URL: "smtp://h:25" }).smtp?.from).toBe(good);
    }
    for (const bad of [
      "CompuCar noreply@compucar.pro",
      "noreply@compucar.pro (CompuCar)",
      "no reply@compucar.pro",
      "noreply@compucar .pro",
      "@compucar.pro",
      "noreply@",
    ]) {
      expect(problemsOf(() => load({ MAIL_FROM: bad }))).toEqual([
        "MAIL_FROM: must be an email address or Name <address>. Fix: set it like CompuCar <noreply@compucar.pro>.",
      ]);
    }
  });

  it("SMTP only when both SMTP_URL and MAIL_FROM are set", () => {
    expect(load({ SMTP_URL: "smtp://h:25" }).smtp).toBeUndefined();
    expect(load({ MAIL_FROM: "a@b.c" }).smtp).toBeUndefined();
  });
});

describe("the demo is opt-in", () => {
  it("without the demo option a token and a key are required", () => {
    const problems = problemsOf(() => loadConfig({ LINK_VERIFICATION: "none" }, { cwd: emptyDir }));
    expect(problems.map((p) => p.split(":")[0])).toEqual([
      "TELEGRAM_CUSTOMER_BOT_TOKEN",
      "TELEGRAM_CHAT_ID_KEY",
    ]);
    expect(loadConfig(env(), { cwd: emptyDir }).demo).toBe(false);
  });
});

describe("describeConfig: what is safe to log", () => {
  it("a minimal configuration", () => {
    expect(describeConfig(load())).toEqual({
      databaseUrl: "unset (embedded PostgreSQL)",
      databaseDirectUrl: "unset",
      telegram: {
        token: "set",
        enabled: true,
        apiRoot: "https://api.telegram.org",
        mode: "polling",
        webhookUrl: undefined,
        webhookSecret: "unset",
      },
      chatIdKey: "set",
      websiteUrl: "https://compucar.pro",
      linkVerification: "none",
      smtp: "unset",
      statusPassword: "unset",
      port: 8080,
      host: "127.0.0.1",
      notifyMaxPerSecond: 25,
      notifyConcurrency: 8,
      outboxRetentionDays: 30,
      logLevel: "info",
      support: { email: undefined, phone: undefined, url: undefined, hours: undefined },
      demo: false,
    });
  });

  it("a full configuration: URLs without credentials, secrets as set, support as given", () => {
    const config = load({
      DATABASE_URL: `postgres://bot:${DB_PASSWORD}@db:5432/compucar`,
      TELEGRAM_MODE: "webhook",
      TELEGRAM_WEBHOOK_URL: "https://bot.compucar.pro/hook",
      TELEGRAM_WEBHOOK_SECRET: "s3cret-webhook",
      SMTP_URL: `smtp://shop:${DB_PASSWORD}@mail:587`,
      MAIL_FROM: "a@b.c",
      SUPPORT_EMAIL: "support@compucar.pro",
      SUPPORT_PHONE: "+213 555",
      SUPPORT_URL: "https://compucar.pro/help",
      SUPPORT_HOURS: "9-17",
    });
    const described = describeConfig(config);
    expect(described).toMatchObject({
      databaseUrl: "postgres://db:5432/compucar",
      telegram: { token: "set", webhookUrl: "https://bot.compucar.pro/hook", webhookSecret: "set" },
      smtp: { url: "smtp://mail:587", from: "a@b.c" },
      support: {
        email: "support@compucar.pro",
        phone: "+213 555",
        url: "https://compucar.pro/help",
        hours: "9-17",
      },
    });
    expect(JSON.stringify(described)).not.toContain(DB_PASSWORD);
  });

  it("the demo's own token shows as demo; a real token given to the demo as set", () => {
    const demo = loadConfig({ LINK_VERIFICATION: "none" }, { cwd: emptyDir, demo: true });
    expect(describeConfig(demo).telegram).toMatchObject({ token: "demo" });
    const real = loadConfig(env(), { cwd: emptyDir, demo: true });
    expect(describeConfig(real).telegram).toMatchObject({ token: "set" });
  });

  it("a value it cannot read as a URL is shown only as set", () => {
    const config = { ...load(), databaseUrl: `not a url ${DB_PASSWORD}` };
    expect(describeConfig(config).databaseUrl).toBe("set");
  });

  it("a config logged as JSON or printed shows exactly its description", () => {
    const config = load({ DATABASE_URL: `postgres://bot:${DB_PASSWORD}@db/compucar` });
    expect(JSON.parse(JSON.stringify({ config })).config).toEqual(
      JSON.parse(JSON.stringify(describeConfig(config))),
    );
    expect(inspect(config)).toBe(inspect(describeConfig(config)));
  });
});

describe("CONFIG_VARIABLES", () => {
  it("marks exactly the credentials as secret", () => {
    expect(CONFIG_VARIABLES.filter((v) => v.secret).map((v) => v.name)).toEqual([
      "DATABASE_URL",
      "DATABASE_DIRECT_URL",
      "TELEGRAM_CUSTOMER_BOT_TOKEN",
      "TELEGRAM_WEBHOOK_SECRET",
      "TELEGRAM_CHAT_ID_KEY",
      "SMTP_URL",
      "STATUS_PASSWORD",
    ]);
  });

  it("lists the log levels LOG_LEVEL accepts", () => {
    const logLevel = CONFIG_VARIABLES.find((v) => v.name === "LOG_LEVEL");
    expect(logLevel?.description).toBe(
      "pino level: fatal, error, warn, info, debug, trace, silent.",
    );
  });
});

describe("loadDatabaseConfig: what `npm run migrate` reads", () => {
  it("needs nothing: the embedded PostgreSQL and info", () => {
    const config = loadDatabaseConfig({}, { cwd: emptyDir });
    expect(config).toEqual({ databaseUrl: undefined, logLevel: "info" });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("reads DATABASE_URL and LOG_LEVEL, trimmed, any case; empty counts as unset", () => {
    expect(
      loadDatabaseConfig(
        { DATABASE_URL: " postgres://db:5432/compucar ", LOG_LEVEL: "WARN", TELEGRAM_MODE: "x" },
        { cwd: emptyDir },
      ),
    ).toEqual({ databaseUrl: "postgres://db:5432/compucar", logLevel: "warn" });
    expect(loadDatabaseConfig({ DATABASE_URL: "", LOG_LEVEL: "  " }, { cwd: emptyDir })).toEqual({
      databaseUrl: undefined,
      logLevel: "info",
    });
  });

  it("reads .env.local over .env, and the environment over both", () => {
    const dir = newDir();
    writeFileSync(join(dir, ".env"), "DATABASE_URL=postgres://from-dotenv/db\nLOG_LEVEL=error\n");
    writeFileSync(join(dir, ".env.local"), "LOG_LEVEL=debug\n");
    expect(loadDatabaseConfig({}, { cwd: dir })).toEqual({
      databaseUrl: "postgres://from-dotenv/db",
      logLevel: "debug",
    });
    expect(loadDatabaseConfig({ LOG_LEVEL: "trace" }, { cwd: dir }).logLevel).toBe("trace");
  });

  it("lists both problems, without the password", () => {
    let error: ConfigError | undefined;
    try {
      loadDatabaseConfig(
        { DATABASE_URL: `mysql://bot:${DB_PASSWORD}@db/compucar`, LOG_LEVEL: "loud" },
        { cwd: emptyDir },
      );
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.problems).toEqual([
      "DATABASE_URL: must be a postgres:// or postgresql:// URL. Fix: set it like postgres://user:password@host:5432/database (percent-encode special characters in the password), or unset it to use the embedded PostgreSQL.",
      "LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent. Fix: set it to info.",
    ]);
    expect(error?.message).not.toContain(DB_PASSWORD);
  });
});

describe("scrub: a secret that slips into a problem line", () => {
  it("replaces each secret value, as trimmed, with [redacted] and leaves the rest", () => {
    const env = {
      TELEGRAM_CUSTOMER_BOT_TOKEN: `  ${TOKEN}  `,
      TELEGRAM_CHAT_ID_KEY: KEY,
      WEBSITE_URL: "https://compucar.example",
    };
    expect(scrub(`token ${TOKEN}, key ${KEY}, site https://compucar.example`, env)).toBe(
      "token [redacted], key [redacted], site https://compucar.example",
    );
  });

  it("a URL's password too, as written and percent-decoded", () => {
    const env = { DATABASE_URL: "postgres://bot:Pa55%40word-x@db.example:5432/shop" };
    expect(scrub("refused Pa55%40word-x, then Pa55@word-x", env)).toBe(
      "refused [redacted], then [redacted]",
    );
  });

  it("from 8 characters on: a shorter secret would blank ordinary words", () => {
    expect(scrub("secret abcdefgh", { TELEGRAM_WEBHOOK_SECRET: "abcdefgh" })).toBe(
      "secret [redacted]",
    );
    expect(scrub("secret abcdefg", { TELEGRAM_WEBHOOK_SECRET: "abcdefg" })).toBe("secret abcdefg");
  });
});

describe("loadChatIdCipher: what `npm run encrypt-chat-ids` reads", () => {
  it("a cipher for TELEGRAM_CHAT_ID_KEY, undefined when unset, a ConfigError when malformed", () => {
    const cipher = loadChatIdCipher({ TELEGRAM_CHAT_ID_KEY: KEY }, { cwd: emptyDir });
    expect(cipher?.decrypt(ChatIdCipher.fromBase64(KEY).encrypt(4242))).toBe("4242");
    expect(loadChatIdCipher({}, { cwd: emptyDir })).toBeUndefined();
    expect(
      problemsOf(() => loadChatIdCipher({ TELEGRAM_CHAT_ID_KEY: "short" }, { cwd: emptyDir })),
    ).toEqual([expect.stringMatching(/^TELEGRAM_CHAT_ID_KEY: /)]);
  });
});
