/**
 * Keeping secrets out of sight: what a logged or printed configuration shows, and the
 * scrubbing of problem lines.
 */
import { inspect } from "node:util";
import type { Config } from "../config.ts";
import type { Env } from "./env-file.ts";
import { CONFIG_VARIABLES, DEMO_TELEGRAM_TOKEN } from "./variables.ts";

/**
 * A summary that is safe to log: secrets appear as `"set"` / `"unset"`, URLs lose their
 * credentials.
 */
export function describeConfig(config: Config): Record<string, unknown> {
  const setOrUnset = (value: string | undefined) => (value === undefined ? "unset" : "set");
  return {
    databaseUrl:
      config.databaseUrl === undefined
        ? "unset (embedded PostgreSQL)"
        : withoutCredentials(config.databaseUrl),
    databaseDirectUrl:
      config.databaseDirectUrl === undefined
        ? "unset"
        : withoutCredentials(config.databaseDirectUrl),
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
    host: config.host,
    statusPassword: setOrUnset(config.statusPassword),
    notifyMaxPerSecond: config.notifyMaxPerSecond,
    notifyConcurrency: config.notifyConcurrency,
    outboxRetentionDays: config.outboxRetentionDays,
    logLevel: config.logLevel,
    support: { ...config.support },
    demo: config.demo,
  };
}

/**
 * The prototype of every Config: a config that is logged (pino, JSON) or printed by accident
 * shows `describeConfig()`, not the secrets. On the prototype because pino's redaction copies
 * own enumerable fields and keeps the prototype.
 */
export const safeToShow: object = Object.create(Object.prototype, {
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
 * The secret values of `env` (each secret variable's value, and a URL's password as
 * written and decoded): what the logger removes from every line and `scrub` from
 * problem lines.
 */
export function secretValues(env: Env): string[] {
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
  return secrets;
}

/** Replaces any secret value (or URL password) of `env` that slipped into a message. */
export function scrub(message: string, env: Env): string {
  let out = message;
  for (const secret of secretValues(env))
    if (secret.length >= 8) out = out.split(secret).join("[redacted]");
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
