/**
 * The service's configuration: the environment (then `.env.local`, then `.env`) read once
 * into one typed, validated, frozen object. Nothing else reads `process.env`.
 *   config/variables.ts  every variable with its default and description (the README table)
 *   config/schema.ts     one parser per variable, failing with the problem and the fix
 *   config/env-file.ts   the environment over `.env.local` over `.env`
 *   config/redact.ts     what a logged config shows; secrets scrubbed from problem lines
 */
import type { z } from "zod";
import { ChatIdCipher } from "./chat-id.ts";
import { type Env, mergeEnv } from "./config/env-file.ts";
import { safeToShow, scrub, secretValues } from "./config/redact.ts";
import {
  PARSERS,
  type ParsedValue,
  type ParsedVariable,
  type Problem,
  problemFrom,
  render,
} from "./config/schema.ts";
import {
  DEMO_CHAT_ID_KEY,
  DEMO_TELEGRAM_TOKEN,
  defaultOf,
  type LogLevel,
} from "./config/variables.ts";

export { describeConfig } from "./config/redact.ts";
export {
  CONFIG_VARIABLES,
  type ConfigVariable,
  DEMO_CHAT_ID_KEY,
  DEMO_TELEGRAM_TOKEN,
  LOG_LEVELS,
  type LogLevel,
} from "./config/variables.ts";

/** The validated configuration. Frozen; secrets are plain fields, so log `describeConfig()` instead. */
export interface Config {
  /** `DATABASE_URL`; `undefined` means the caller runs an embedded PostgreSQL. */
  readonly databaseUrl: string | undefined;
  /** `DATABASE_DIRECT_URL`: for LISTEN and session advisory locks; defaults to `databaseUrl`. */
  readonly databaseDirectUrl: string | undefined;
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
  /** `SHOP_TIMEZONE`, for customers who never chose a zone. Defaults to `Africa/Algiers`. */
  readonly shopTimeZone: string;
  /** `LINK_VERIFICATION`. Defaults to `email`. */
  readonly linkVerification: "email" | "none";
  /** `SMTP_URL` and `MAIL_FROM` when both are set; always set when `linkVerification` is `email`. */
  readonly smtp: { readonly url: string; readonly from: string } | undefined;
  /** `PORT` for `/healthz`, `/metrics` and the webhook. Defaults to 8080. */
  readonly port: number;
  /** `HOST`, the address the HTTP server listens on. Defaults to `127.0.0.1` (this machine only). */
  readonly host: string;
  /** `STATUS_PASSWORD`: the status page's password; `undefined` (unset) turns the page off. */
  readonly statusPassword: string | undefined;
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
    /** `SUPPORT_HOURS_FR`, for customers answered in French; unset: `hours`. */
    readonly hoursFr: string | undefined;
    /** `SUPPORT_HOURS_AR`, for customers answered in Arabic; unset: `hours`. */
    readonly hoursAr: string | undefined;
  };
  /** Whether this is the offline demo (`loadConfig(…, { demo: true })`). */
  readonly demo: boolean;
  /**
   * The secret values as set (token, `TELEGRAM_CHAT_ID_KEY`, the SMTP and database URLs and
   * their passwords, the webhook secret): what the logger removes from every line.
   */
  readonly secrets: readonly string[];
}

/**
 * What the service logs at every start with `LINK_VERIFICATION=none`: nothing proves that
 * whoever sends `/link email` owns that email.
 */
export const LINK_VERIFICATION_NONE_WARNING =
  "LINK_VERIFICATION=none: anyone who knows a customer's email can link their own Telegram chat to that account and receive that customer's notifications (file names, order and payment updates). Set LINK_VERIFICATION=email with SMTP_URL and MAIL_FROM so that only the owner of the address can link.";

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

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Directory holding `.env` and `.env.local`. Defaults to `process.cwd()`. */
  cwd?: string;
  /** The offline demo: token and chat-id key become optional (demo values are used). Defaults to false. */
  demo?: boolean;
}

/**
 * Reads and validates the configuration: `env` first, then `.env.local`, then `.env` (from
 * `options.cwd`); empty values count as unset. Defaults are in {@link CONFIG_VARIABLES}.
 * @throws ConfigError listing every problem found, never quoting a secret.
 */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): Config {
  const demo = options.demo ?? false;
  const vars = new Variables(env, options.cwd);
  const databaseUrl = vars.read("DATABASE_URL");
  const databaseDirectUrl = vars.read("DATABASE_DIRECT_URL");
  const telegram = readTelegram(vars, demo);
  const chatIds = readChatIds(vars, demo);
  const websiteUrl = vars.setting("WEBSITE_URL");
  const shopTimeZone = vars.setting("SHOP_TIMEZONE");
  const { linkVerification, smtp } = readMail(vars);
  const port = vars.setting("PORT");
  const host = vars.setting("HOST");
  const statusPassword = vars.read("STATUS_PASSWORD");
  const notifyMaxPerSecond = vars.setting("NOTIFY_MAX_PER_SECOND");
  const notifyConcurrency = vars.setting("NOTIFY_CONCURRENCY");
  const outboxRetentionDays = vars.setting("OUTBOX_RETENTION_DAYS");
  const logLevel = vars.setting("LOG_LEVEL");
  vars.check();
  const { token } = telegram;
  if (token === undefined || chatIds === undefined)
    throw new Error("unreachable: no problem recorded");

  const config: Config = Object.assign(Object.create(safeToShow), {
    databaseUrl,
    databaseDirectUrl,
    telegram: { ...telegram, token },
    chatIds,
    websiteUrl,
    shopTimeZone,
    linkVerification,
    smtp,
    port,
    host,
    statusPassword,
    notifyMaxPerSecond,
    notifyConcurrency,
    outboxRetentionDays,
    logLevel,
    support: {
      email: vars.raw("SUPPORT_EMAIL"),
      phone: vars.raw("SUPPORT_PHONE"),
      url: vars.raw("SUPPORT_URL"),
      hours: vars.raw("SUPPORT_HOURS"),
      hoursFr: vars.raw("SUPPORT_HOURS_FR"),
      hoursAr: vars.raw("SUPPORT_HOURS_AR"),
    },
    demo,
    secrets: vars.secrets(),
  });
  return deepFreeze(config);
}

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
  const vars = new Variables(env, options.cwd);
  const databaseUrl = vars.read("DATABASE_URL");
  const logLevel = vars.setting("LOG_LEVEL");
  vars.check();
  return Object.freeze({ databaseUrl, logLevel });
}

/**
 * Reads only `TELEGRAM_CHAT_ID_KEY` (same sources as {@link loadConfig}), for commands
 * that handle stored chat ids; `undefined` when it is unset.
 * @throws ConfigError when it is malformed.
 */
export function loadChatIdCipher(
  env: Env = process.env,
  options: { cwd?: string } = {},
): ChatIdCipher | undefined {
  const vars = new Variables(env, options.cwd);
  const chatIds = vars.read("TELEGRAM_CHAT_ID_KEY");
  vars.check();
  return chatIds;
}

/**
 * The variables from their sources, and the problems found reading them. Each variable
 * is parsed by its parser in config/schema.ts; unset means its documented default.
 */
class Variables {
  readonly #env: Env;
  readonly #problems: Problem[] = [];

  constructor(env: Env, cwd = process.cwd()) {
    this.#env = mergeEnv(env, cwd, this.#problems);
  }

  /** The secret values set, as the logger must remove them (config/redact.ts). */
  secrets(): string[] {
    return secretValues(this.#env);
  }

  /** The value as text, trimmed; `undefined` when unset or empty. */
  raw(name: string): string | undefined {
    const value = this.#env[name]?.trim();
    return value ? value : undefined;
  }

  /** The parsed value, `undefined` when unset or malformed (then a problem is recorded). */
  read<N extends ParsedVariable>(name: N): ParsedValue<N> | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const result = parserOf(name).safeParse(value);
    if (result.success) return result.data;
    this.#problems.push(problemFrom(name, result.error));
    return undefined;
  }

  /** The parsed value, or the documented default when unset (or malformed: a problem). */
  setting<N extends ParsedVariable>(name: N): ParsedValue<N> {
    return this.read(name) ?? parserOf(name).parse(defaultOf(name));
  }

  /** When `when` holds, records `problem` for each variable of `fixes` that is unset, with its fix. */
  require(when: boolean, problem: string, fixes: Record<string, string>): void {
    if (!when) return;
    for (const [name, fix] of Object.entries(fixes)) {
      if (this.raw(name) === undefined) this.#problems.push({ name, problem, fix });
    }
  }

  /** @throws ConfigError listing every problem recorded, secrets scrubbed. */
  check(): void {
    if (this.#problems.length === 0) return;
    throw new ConfigError(this.#problems.map((p) => scrub(render(p), this.#env)));
  }
}

/** The parser of `name`, typed by what it gives. */
function parserOf<N extends ParsedVariable>(name: N): z.ZodType<ParsedValue<N>> {
  return PARSERS[name] as unknown as z.ZodType<ParsedValue<N>>;
}

function readTelegram(vars: Variables, demo: boolean) {
  const token =
    demo && vars.raw("TELEGRAM_CUSTOMER_BOT_TOKEN") === undefined
      ? DEMO_TELEGRAM_TOKEN
      : vars.read("TELEGRAM_CUSTOMER_BOT_TOKEN");
  vars.require(!demo, "is required", {
    TELEGRAM_CUSTOMER_BOT_TOKEN:
      "create the bot with @BotFather and set its token (or try everything offline with `npm run demo`)",
  });
  const enabled = vars.setting("TELEGRAM_CUSTOMER_BOT_ENABLED");
  const apiRoot = vars.setting("TELEGRAM_API_ROOT");
  const mode = vars.setting("TELEGRAM_MODE");
  const webhookUrl = vars.read("TELEGRAM_WEBHOOK_URL");
  const webhookSecret = vars.read("TELEGRAM_WEBHOOK_SECRET");
  vars.require(mode === "webhook", "is required when TELEGRAM_MODE=webhook", {
    TELEGRAM_WEBHOOK_URL:
      "set it to the public https URL Telegram should post updates to, e.g. https://bot.compucar.pro/telegram/webhook",
    TELEGRAM_WEBHOOK_SECRET: "set it to a random value, e.g. the output of `openssl rand -hex 32`",
  });
  const webhookPath = webhookUrl === undefined ? undefined : new URL(webhookUrl).pathname;
  return { token, enabled, apiRoot, mode, webhookUrl, webhookPath, webhookSecret };
}

function readChatIds(vars: Variables, demo: boolean): ChatIdCipher | undefined {
  if (demo && vars.raw("TELEGRAM_CHAT_ID_KEY") === undefined) {
    return ChatIdCipher.fromBase64(DEMO_CHAT_ID_KEY);
  }
  vars.require(true, "is required; it encrypts chat ids at rest", {
    TELEGRAM_CHAT_ID_KEY:
      "make one with `openssl rand -base64 32` and keep it safe: without it stored chat ids are unreadable",
  });
  return vars.read("TELEGRAM_CHAT_ID_KEY");
}

function readMail(vars: Variables): Pick<Config, "linkVerification" | "smtp"> {
  const linkVerification = vars.setting("LINK_VERIFICATION");
  const url = vars.read("SMTP_URL");
  const from = vars.read("MAIL_FROM");
  vars.require(linkVerification === "email", "is required when LINK_VERIFICATION=email", {
    SMTP_URL: "set it to smtp://user:pass@host:587 or set LINK_VERIFICATION=none",
    MAIL_FROM:
      "set it to the sender, e.g. CompuCar <noreply@compucar.pro>, or set LINK_VERIFICATION=none",
  });
  const smtp = url !== undefined && from !== undefined ? { url, from } : undefined;
  return { linkVerification, smtp };
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === "object" && !Object.isFrozen(child)) deepFreeze(child);
  }
  return Object.freeze(value);
}
