/**
 * The service's configuration: the environment (then `.env.local`, then `.env`) read once
 * into one typed, validated, frozen object. Nothing else reads `process.env`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inspect, parseEnv } from "node:util";
import { z } from "zod";
import { ChatIdCipher, chatIdKeyProblem } from "./chat-id.ts";

/** pino's levels, as `LOG_LEVEL` accepts them. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The chat-id key used by the offline demo when `TELEGRAM_CHAT_ID_KEY` is unset. Public,
 * so never protecting real data: outside the demo the key is required.
 */
export const DEMO_CHAT_ID_KEY = "Y29tcHVjYXItZGVtby1jaGF0LWlkLWtleS0wMDAwMDA=";
/** The bot token the offline demo uses when none is set (the local Bot API double accepts it). */
export const DEMO_TELEGRAM_TOKEN = "1234567890:DEMO-token-for-the-local-bot-api-double";

/** The validated configuration. Frozen; secrets are plain fields, so log `describeConfig()` instead. */
export interface Config {
  /** `DATABASE_URL`; `undefined` means the caller runs an embedded PostgreSQL. */
  readonly databaseUrl: string | undefined;
  readonly telegram: {
    /** `TELEGRAM_CUSTOMER_BOT_TOKEN`; in demo mode defaults to {@link DEMO_TELEGRAM_TOKEN}. */
    readonly token: string;
    /** `TELEGRAM_CUSTOMER_BOT_ENABLED`, the kill switch. Defaults to `true`. */
    readonly enabled: boolean;
    /** `TELEGRAM_API_ROOT` without a trailing slash. Defaults to `https://api.telegram.org`. */
    readonly apiRoot: string;
    /** `TELEGRAM_MODE`. Defaults to `polling`. */
    readonly mode: "polling" | "webhook";
    /** `TELEGRAM_WEBHOOK_URL`; always set in webhook mode. */
    readonly webhookUrl: string | undefined;
    /** The path of `webhookUrl`, where the HTTP server takes updates. */
    readonly webhookPath: string | undefined;
    /** `TELEGRAM_WEBHOOK_SECRET`; always set in webhook mode. */
    readonly webhookSecret: string | undefined;
  };
  /** Encrypts chat ids at rest, from `TELEGRAM_CHAT_ID_KEY` (the demo key in demo mode). */
  readonly chatIds: ChatIdCipher;
  /** `WEBSITE_URL` without a trailing slash. Defaults to `https://compucar.pro`. */
  readonly websiteUrl: string;
  /** `LINK_VERIFICATION`. Defaults to `email`. */
  readonly linkVerification: "email" | "none";
  /** `SMTP_URL` and `MAIL_FROM` when both are set; always set when `linkVerification` is `email`. */
  readonly smtp: { readonly url: string; readonly from: string } | undefined;
  /** `PORT` for `/healthz`, `/metrics` and the webhook. Defaults to 8080. */
  readonly port: number;
  /** `NOTIFY_MAX_PER_SECOND`, messages per second across all chats; 0 = no cap. Defaults to 25. */
  readonly notifyMaxPerSecond: number;
  /** `NOTIFY_CONCURRENCY`, sends in flight at once. Defaults to 8. */
  readonly notifyConcurrency: number;
  /** `OUTBOX_RETENTION_DAYS`, how long sent/failed/skipped outbox rows are kept. Defaults to 30. */
  readonly outboxRetentionDays: number;
  /** `LOG_LEVEL`. Defaults to `info`. */
  readonly logLevel: LogLevel;
  /** What `/support` shows; each unset field is left out of the answer. */
  readonly support: {
    readonly email: string | undefined;
    readonly phone: string | undefined;
    readonly url: string | undefined;
    readonly hours: string | undefined;
  };
  /** Whether this is the offline demo (`loadConfig(…, { demo: true })`). */
  readonly demo: boolean;
}

/** Every configuration problem found, one per line, each naming the variable and the fix. */
export class ConfigError extends Error {
  override name = "ConfigError";
  /** One entry per problem: `VAR_NAME: what is wrong. Fix: how to fix.` */
  readonly problems: string[];

  constructor(problems: string[]) {
    super(
      [
        "Configuration problems (fix these and start again):",
        ...problems.map((p) => `  - ${p}`),
      ].join("\n"),
    );
    this.problems = problems;
  }
}

/** One environment variable the service reads, for docs (the README table) and checks. */
export interface ConfigVariable {
  readonly name: string;
  /** The default as text, or `undefined` when there is none (required or optional). */
  readonly default: string | undefined;
  readonly description: string;
  /** Whether the value is a secret (never logged, never in an error message). */
  readonly secret: boolean;
}

/**
 * Every variable the service reads, in README order. `NOTIFY_MAX_PER_SECOND` defaults to 25:
 * Telegram allows about 30 messages a second per bot before answering 429, so 25 leaves room
 * for the bot's replies to commands.
 */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  {
    name: "DATABASE_URL",
    default: undefined,
    description:
      "The website's PostgreSQL (`postgres://` or `postgresql://`). Unset: `npm start` runs an embedded PostgreSQL kept in `./.data`.",
    secret: true,
  },
  {
    name: "TELEGRAM_CUSTOMER_BOT_TOKEN",
    default: undefined,
    description: "Token from @BotFather. Required (except in the demo).",
    secret: true,
  },
  {
    name: "TELEGRAM_CUSTOMER_BOT_ENABLED",
    default: "true",
    description:
      "Kill switch (`true`/`false`, also `1`/`0`, `yes`/`no`): when false nothing is sent or answered and events wait.",
    secret: false,
  },
  {
    name: "TELEGRAM_API_ROOT",
    default: "https://api.telegram.org",
    description: "Bot API base URL (a self-hosted Bot API server, or a test double).",
    secret: false,
  },
  {
    name: "TELEGRAM_MODE",
    default: "polling",
    description: "`polling` (long polling with the runner) or `webhook`.",
    secret: false,
  },
  {
    name: "TELEGRAM_WEBHOOK_URL",
    default: undefined,
    description:
      "Public `https://` URL Telegram posts updates to; the HTTP server listens on its path. Required in webhook mode.",
    secret: false,
  },
  {
    name: "TELEGRAM_WEBHOOK_SECRET",
    default: undefined,
    description:
      "Secret token Telegram sends with each update (1–256 of `A-Z a-z 0-9 _ -`). Required in webhook mode.",
    secret: true,
  },
  {
    name: "TELEGRAM_CHAT_ID_KEY",
    default: undefined,
    description:
      "32-byte key (base64) encrypting chat ids at rest; make one with `openssl rand -base64 32`. Required (except in the demo).",
    secret: true,
  },
  {
    name: "WEBSITE_URL",
    default: "https://compucar.pro",
    description: "Base of the links in messages.",
    secret: false,
  },
  {
    name: "LINK_VERIFICATION",
    default: "email",
    description:
      "`email` (a code mailed to the account's address) or `none` (the guide's quick link, no proof of ownership).",
    secret: false,
  },
  {
    name: "SMTP_URL",
    default: undefined,
    description:
      "Where verification codes are mailed from (`smtp://user:pass@host:587` or `smtps://…:465`). Required with `LINK_VERIFICATION=email`.",
    secret: true,
  },
  {
    name: "MAIL_FROM",
    default: undefined,
    description:
      "Sender of verification mails (`noreply@compucar.pro` or `CompuCar <noreply@compucar.pro>`). Required with `LINK_VERIFICATION=email`.",
    secret: false,
  },
  {
    name: "PORT",
    default: "8080",
    description: "HTTP port for `/healthz`, `/metrics` and the webhook.",
    secret: false,
  },
  {
    name: "NOTIFY_MAX_PER_SECOND",
    default: "25",
    description:
      "Cap on messages sent per second across all chats, under Telegram's ~30/s per bot to leave room for command replies. `0` = no cap (429 `retry_after` is still honoured).",
    secret: false,
  },
  {
    name: "NOTIFY_CONCURRENCY",
    default: "8",
    description: "Messages in flight to Telegram at once.",
    secret: false,
  },
  {
    name: "OUTBOX_RETENTION_DAYS",
    default: "30",
    description: "Days finished outbox rows (sent, failed, skipped) are kept.",
    secret: false,
  },
  {
    name: "LOG_LEVEL",
    default: "info",
    description: `pino level: ${LOG_LEVELS.join(", ")}.`,
    secret: false,
  },
  { name: "SUPPORT_EMAIL", default: undefined, description: "Shown by `/support`.", secret: false },
  { name: "SUPPORT_PHONE", default: undefined, description: "Shown by `/support`.", secret: false },
  { name: "SUPPORT_URL", default: undefined, description: "Shown by `/support`.", secret: false },
  {
    name: "SUPPORT_HOURS",
    default: undefined,
    description: "Shown by `/support` (free text, e.g. `Mon–Fri 9:00–18:00`).",
    secret: false,
  },
];

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Directory holding `.env` and `.env.local`. Defaults to `process.cwd()`. */
  cwd?: string;
  /** The offline demo: token and chat-id key become optional (demo values are used). Defaults to false. */
  demo?: boolean;
}

type Env = Record<string, string | undefined>;

/**
 * Reads and validates the configuration: `env` first, then `.env.local`, then `.env` (from
 * `options.cwd`); empty values count as unset. Defaults are in {@link CONFIG_VARIABLES}.
 * @throws ConfigError listing every problem found, never quoting a secret.
 */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const demo = options.demo ?? false;
  const problems: Problem[] = [];

  const merged = mergeEnv(env, cwd, problems);
  const raw = (name: string): string | undefined => {
    const value = merged[name]?.trim();
    return value ? value : undefined;
  };

  /** Parses an optional variable with its schema; a failure is recorded and gives undefined. */
  const read = <T>(name: string, schema: z.ZodType<T>): T | undefined => {
    const value = raw(name);
    if (value === undefined) return undefined;
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    problems.push(problemFrom(name, result.error));
    return undefined;
  };
  const missing = (name: string, problem: string, fix: string) => {
    problems.push({ name, problem, fix });
  };

  const databaseUrl = read("DATABASE_URL", postgresUrl);

  let token = read("TELEGRAM_CUSTOMER_BOT_TOKEN", botToken);
  if (raw("TELEGRAM_CUSTOMER_BOT_TOKEN") === undefined) {
    if (demo) token = DEMO_TELEGRAM_TOKEN;
    else {
      missing(
        "TELEGRAM_CUSTOMER_BOT_TOKEN",
        "is required",
        "create the bot with @BotFather and set its token (or try everything offline with `npm run demo`)",
      );
    }
  }
  const enabled = read("TELEGRAM_CUSTOMER_BOT_ENABLED", boolean) ?? true;
  const apiRoot = read("TELEGRAM_API_ROOT", httpUrl) ?? "https://api.telegram.org";
  const mode = read("TELEGRAM_MODE", telegramMode) ?? "polling";
  const webhookUrl = read("TELEGRAM_WEBHOOK_URL", webhookUrlSchema);
  const webhookSecret = read("TELEGRAM_WEBHOOK_SECRET", webhookSecretSchema);
  if (mode === "webhook") {
    if (raw("TELEGRAM_WEBHOOK_URL") === undefined) {
      missing(
        "TELEGRAM_WEBHOOK_URL",
        "is required when TELEGRAM_MODE=webhook",
        "set it to the public https URL Telegram should post updates to, e.g. https://bot.compucar.pro/telegram/webhook",
      );
    }
    if (raw("TELEGRAM_WEBHOOK_SECRET") === undefined) {
      missing(
        "TELEGRAM_WEBHOOK_SECRET",
        "is required when TELEGRAM_MODE=webhook",
        "set it to a random value, e.g. the output of `openssl rand -hex 32`",
      );
    }
  }

  let chatIds: ChatIdCipher | undefined;
  const key = raw("TELEGRAM_CHAT_ID_KEY") ?? (demo ? DEMO_CHAT_ID_KEY : undefined);
  if (key === undefined) {
    missing(
      "TELEGRAM_CHAT_ID_KEY",
      "is required; it encrypts chat ids at rest",
      "make one with `openssl rand -base64 32` and keep it safe: without it stored chat ids are unreadable",
    );
  } else {
    const wrong = chatIdKeyProblem(key);
    if (wrong) problems.push({ name: "TELEGRAM_CHAT_ID_KEY", ...wrong });
    else chatIds = ChatIdCipher.fromBase64(key);
  }

  const websiteUrl = read("WEBSITE_URL", httpUrl) ?? "https://compucar.pro";
  const linkVerification = read("LINK_VERIFICATION", linkVerificationSchema) ?? "email";
  const smtpUrl = read("SMTP_URL", smtpUrlSchema);
  const mailFrom = read("MAIL_FROM", mailFromSchema);
  if (linkVerification === "email") {
    if (raw("SMTP_URL") === undefined) {
      missing(
        "SMTP_URL",
        "is required when LINK_VERIFICATION=email",
        "set it to smtp://user:pass@host:587 or set LINK_VERIFICATION=none",
      );
    }
    if (raw("MAIL_FROM") === undefined) {
      missing(
        "MAIL_FROM",
        "is required when LINK_VERIFICATION=email",
        "set it to the sender, e.g. CompuCar <noreply@compucar.pro>, or set LINK_VERIFICATION=none",
      );
    }
  }

  const port = read("PORT", integer(1, 65_535, "an integer from 1 to 65535", 8080)) ?? 8080;
  const notifyMaxPerSecond =
    read(
      "NOTIFY_MAX_PER_SECOND",
      integer(0, 1_000_000, "a whole number of messages per second (0 = no cap)", 25),
    ) ?? 25;
  const notifyConcurrency =
    read("NOTIFY_CONCURRENCY", integer(1, 1_000, "an integer from 1 to 1000", 8)) ?? 8;
  const outboxRetentionDays =
    read("OUTBOX_RETENTION_DAYS", integer(1, 36_500, "a whole number of days, at least 1", 30)) ??
    30;
  const logLevel = read("LOG_LEVEL", logLevelSchema) ?? "info";

  if (problems.length > 0) throw new ConfigError(problems.map((p) => scrub(render(p), merged)));
  if (token === undefined || chatIds === undefined)
    throw new Error("unreachable: no problem recorded");

  const config: Config = Object.assign(Object.create(safeToShow), {
    databaseUrl,
    telegram: {
      token,
      enabled,
      apiRoot,
      mode,
      webhookUrl,
      webhookPath: webhookUrl === undefined ? undefined : new URL(webhookUrl).pathname,
      webhookSecret,
    },
    chatIds,
    websiteUrl,
    linkVerification,
    smtp:
      smtpUrl !== undefined && mailFrom !== undefined
        ? { url: smtpUrl, from: mailFrom }
        : undefined,
    port,
    notifyMaxPerSecond,
    notifyConcurrency,
    outboxRetentionDays,
    logLevel,
    support: {
      email: raw("SUPPORT_EMAIL"),
      phone: raw("SUPPORT_PHONE"),
      url: raw("SUPPORT_URL"),
      hours: raw("SUPPORT_HOURS"),
    },
    demo,
  });
  return deepFreeze(config);
}

/**
 * The prototype of every Config: a config that is logged (pino, JSON) or printed by accident
 * shows `describeConfig()`, not the secrets. On the prototype because pino's redaction copies
 * own enumerable fields and keeps the prototype.
 */
const safeToShow: object = Object.create(Object.prototype, {
  toJSON: {
    value(this: Config) {
      return describeConfig(this);
    },
  },
  [inspect.custom]: {
    value(this: Config) {
      return describeConfig(this);
    },
  },
});

/**
 * A summary that is safe to log: secrets appear as `"set"` / `"unset"`, URLs lose their
 * credentials.
 */
/** What `npm run migrate` needs: the database and the log level, nothing about Telegram. */
export interface DatabaseConfig {
  readonly databaseUrl: string | undefined;
  readonly logLevel: LogLevel;
}

/**
 * Reads only `DATABASE_URL` and `LOG_LEVEL` (same sources as {@link loadConfig}), for
 * commands that touch the database alone, such as migrations.
 * @throws ConfigError when either is malformed.
 */
export function loadDatabaseConfig(
  env: Env = process.env,
  options: { cwd?: string } = {},
): DatabaseConfig {
  const problems: Problem[] = [];
  const merged = mergeEnv(env, options.cwd ?? process.cwd(), problems);
  const pick = <T>(name: string, schema: z.ZodType<T>): T | undefined => {
    const value = merged[name]?.trim();
    if (!value) return undefined;
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    problems.push(problemFrom(name, result.error));
    return undefined;
  };
  const databaseUrl = pick("DATABASE_URL", postgresUrl);
  const logLevel = pick("LOG_LEVEL", logLevelSchema) ?? "info";
  if (problems.length > 0) {
    throw new ConfigError(problems.map((p) => scrub(render(p), merged)));
  }
  return Object.freeze({ databaseUrl, logLevel });
}

/** `env` over `.env.local` over `.env` (files in `cwd`). */
function mergeEnv(env: Env, cwd: string, problems: Problem[]): Env {
  const files = [".env", ".env.local"].map((name) => readEnvFile(join(cwd, name), problems));
  const merged: Env = { ...files[0], ...files[1] };
  for (const [name, value] of Object.entries(env)) if (value !== undefined) merged[name] = value;
  return merged;
}

export function describeConfig(config: Config): Record<string, unknown> {
  const setOrUnset = (value: string | undefined) => (value === undefined ? "unset" : "set");
  return {
    databaseUrl:
      config.databaseUrl === undefined
        ? "unset (embedded PostgreSQL)"
        : withoutCredentials(config.databaseUrl),
    telegram: {
      token: config.demo && config.telegram.token === DEMO_TELEGRAM_TOKEN ? "demo" : "set",
      enabled: config.telegram.enabled,
      apiRoot: config.telegram.apiRoot,
      mode: config.telegram.mode,
      webhookUrl: config.telegram.webhookUrl,
      webhookSecret: setOrUnset(config.telegram.webhookSecret),
    },
    chatIdKey: "set",
    websiteUrl: config.websiteUrl,
    linkVerification: config.linkVerification,
    smtp:
      config.smtp === undefined
        ? "unset"
        : { url: withoutCredentials(config.smtp.url), from: config.smtp.from },
    port: config.port,
    notifyMaxPerSecond: config.notifyMaxPerSecond,
    notifyConcurrency: config.notifyConcurrency,
    outboxRetentionDays: config.outboxRetentionDays,
    logLevel: config.logLevel,
    support: { ...config.support },
    demo: config.demo,
  };
}

interface Problem {
  name: string;
  problem: string;
  fix: string;
}

/** Every schema below fails with a message `problem|fix`; no message quotes the input. */
const fail = (problem: string, fix: string) => ({ error: `${problem}|${fix}` });

function problemFrom(name: string, error: z.ZodError): Problem {
  const [problem = "is invalid", fix = "correct it"] = (error.issues[0]?.message ?? "").split("|");
  return { name, problem, fix };
}

function render({ name, problem, fix }: Problem): string {
  const end = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);
  return `${name}: ${end(problem)} Fix: ${end(fix)}`;
}

function urlWith(protocols: readonly string[], problem: string, fix: string) {
  return z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    fail(problem, fix),
  );
}

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, "");

const postgresUrl = urlWith(
  ["postgres:", "postgresql:"],
  "must be a postgres:// or postgresql:// URL",
  "set it like postgres://user:password@host:5432/database (percent-encode special characters in the password), or unset it to use the embedded PostgreSQL",
);
const botToken = z
  .string()
  .regex(
    /^\d+:[A-Za-z0-9_-]{30,}$/,
    fail(
      "looks malformed: a BotFather token looks like 123456789:AA...",
      "copy it again from @BotFather",
    ),
  );
const boolean = z
  .string()
  .transform((value) => value.toLowerCase())
  .pipe(
    z.enum(
      ["true", "false", "1", "0", "yes", "no"],
      fail("must be true or false", "set it to true or false"),
    ),
  )
  .transform((value) => value === "true" || value === "1" || value === "yes");
const httpUrl = urlWith(
  ["http:", "https:"],
  "must be an http:// or https:// URL",
  "set it like https://example.com",
).transform(withoutTrailingSlash);
const telegramMode = z
  .string()
  .transform((value) => value.toLowerCase())
  .pipe(
    z.enum(
      ["polling", "webhook"],
      fail("must be polling or webhook", "set it to polling or webhook"),
    ),
  );
const webhookUrlSchema = urlWith(
  ["https:"],
  "must be an https:// URL (Telegram only posts to https)",
  "set it like https://bot.compucar.pro/telegram/webhook",
);
const webhookSecretSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9_-]{1,256}$/,
    fail(
      "must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)",
      "set it to the output of `openssl rand -hex 32`",
    ),
  );
const linkVerificationSchema = z
  .string()
  .transform((value) => value.toLowerCase())
  .pipe(z.enum(["email", "none"], fail("must be email or none", "set it to email or none")));
const smtpUrlSchema = urlWith(
  ["smtp:", "smtps:"],
  "must be an smtp:// or smtps:// URL",
  "set it like smtp://user:pass@host:587 (percent-encode special characters in the password)",
);
const mailFromSchema = z
  .string()
  .regex(
    /^(?:[^\s@<>]+@[^\s@<>]+|[^<>]*<[^\s@<>]+@[^\s@<>]+>)$/,
    fail(
      "must be an email address or Name <address>",
      "set it like CompuCar <noreply@compucar.pro>",
    ),
  );
const logLevelSchema = z
  .string()
  .transform((value) => value.toLowerCase())
  .pipe(z.enum(LOG_LEVELS, fail(`must be one of ${LOG_LEVELS.join(", ")}`, "set it to info")));

function integer(min: number, max: number, what: string, example: number) {
  return z
    .string()
    .refine(
      (value) => /^\d{1,10}$/.test(value) && Number(value) >= min && Number(value) <= max,
      fail(`must be ${what}`, `set it to a number such as ${example}`),
    )
    .transform(Number);
}

function readEnvFile(path: string, problems: Problem[]): Env {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") {
      problems.push({
        name: path,
        problem: `could not be read (${code ?? "unknown error"})`,
        fix: "make it readable by the service's user, or remove it",
      });
    }
    return {};
  }
  return parseEnv(text);
}

/** Replaces any secret value (or URL password) that slipped into a message. */
function scrub(message: string, env: Env): string {
  const secrets: string[] = [];
  for (const variable of CONFIG_VARIABLES) {
    const value = env[variable.name]?.trim();
    if (!variable.secret || !value) continue;
    secrets.push(value);
    try {
      const password = new URL(value).password;
      if (password) secrets.push(password, decodeURIComponent(password));
    } catch {
      // not a URL: the whole value is the secret
    }
  }
  let out = message;
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join("[redacted]");
  return out;
}

function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return "set";
  }
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === "object" && !Object.isFrozen(child)) deepFreeze(child);
  }
  return Object.freeze(value);
}
