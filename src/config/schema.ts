/**
 * How each variable's text becomes a value: one zod parser per variable, keyed by its
 * name. Every parser fails with a message `problem|fix` and never quotes the input, so
 * a malformed secret does not end up in an error.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { ChatIdCipher, chatIdKeyProblem } from "../chat-id.ts";
import { isTimeZone } from "../format.ts";
import { defaultOf, LOG_LEVELS } from "./variables.ts";

/** One configuration problem: the variable (or file), what is wrong and the fix. */
export interface Problem {
  name: string;
  problem: string;
  fix: string;
}

const fail = (problem: string, fix: string) => ({ error: `${problem}|${fix}` });

/** The problem a parser reported for this variable. */
export function problemFrom(name: string, error: z.ZodError): Problem {
  const [problem = "is invalid", fix = "correct it"] = (error.issues[0]?.message ?? "").split("|");
  return { name, problem, fix };
}

/** `NAME: problem. Fix: fix.`, the line an operator reads. */
export function render({ name, problem, fix }: Problem): string {
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

/** A lower-cased word from a fixed list. */
function oneOf<const T extends readonly [string, ...string[]]>(words: T, fix: string) {
  return z
    .string()
    .transform((value) => value.toLowerCase())
    .pipe(z.enum(words, fail(`must be ${words.join(" or ")}`, fix)));
}

/** A whole number from `min` to `max`; the fix suggests the variable's default. */
function integer(name: string, min: number, max: number, what: string) {
  return z
    .string()
    .refine(
      (value) => /^\d{1,10}$/.test(value) && Number(value) >= min && Number(value) <= max,
      fail(`must be ${what}`, `set it to a number such as ${defaultOf(name)}`),
    )
    .transform(Number);
}

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, "");

const httpUrl = urlWith(
  ["http:", "https:"],
  "must be an http:// or https:// URL",
  "set it like https://example.com",
).transform(withoutTrailingSlash);

/** The parser of each variable that has one (the `SUPPORT_*` texts are taken as they are). */
export const PARSERS = {
  DATABASE_URL: urlWith(
    ["postgres:", "postgresql:"],
    "must be a postgres:// or postgresql:// URL",
    "set it like postgres://user:password@host:5432/database (percent-encode special characters in the password), or unset it to use the embedded PostgreSQL",
  ),
  DATABASE_DIRECT_URL: urlWith(
    ["postgres:", "postgresql:"],
    "must be a postgres:// or postgresql:// URL",
    "set it to a direct connection to the database of DATABASE_URL (not through PgBouncer), like postgres://user:password@db-host:5432/database, or unset it",
  ),
  TELEGRAM_CUSTOMER_BOT_TOKEN: z
    .string()
    .regex(
      /^\d+:[A-Za-z0-9_-]{30,}$/,
      fail(
        "looks malformed: a BotFather token looks like 123456789:AA...",
        "copy it again from @BotFather",
      ),
    ),
  TELEGRAM_CUSTOMER_BOT_ENABLED: z
    .string()
    .transform((value) => value.toLowerCase())
    .pipe(
      z.enum(
        ["true", "false", "1", "0", "yes", "no"],
        fail("must be true or false", "set it to true or false"),
      ),
    )
    .transform((value) => value === "true" || value === "1" || value === "yes"),
  TELEGRAM_API_ROOT: httpUrl,
  TELEGRAM_MODE: oneOf(["polling", "webhook"], "set it to polling or webhook"),
  TELEGRAM_WEBHOOK_URL: urlWith(
    ["https:"],
    "must be an https:// URL (Telegram only posts to https)",
    "set it like https://bot.compucar.pro/telegram/webhook",
  ),
  TELEGRAM_WEBHOOK_SECRET: z
    .string()
    .regex(
      /^[A-Za-z0-9_-]{1,256}$/,
      fail(
        "must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)",
        "set it to the output of `openssl rand -hex 32`",
      ),
    ),
  TELEGRAM_CHAT_ID_KEY: z
    .string()
    .superRefine((key, context) => {
      const wrong = chatIdKeyProblem(key);
      if (wrong) context.addIssue({ code: "custom", message: `${wrong.problem}|${wrong.fix}` });
    })
    .transform((key) => ChatIdCipher.fromBase64(key)),
  WEBSITE_URL: httpUrl,
  SHOP_TIMEZONE: z
    .string()
    .refine(
      isTimeZone,
      fail("is not an IANA time zone", "set it like Africa/Algiers or Europe/Paris"),
    ),
  LINK_VERIFICATION: oneOf(["email", "none"], "set it to email or none"),
  SMTP_URL: urlWith(
    ["smtp:", "smtps:"],
    "must be an smtp:// or smtps:// URL",
    "set it like smtp://user:pass@host:587 (percent-encode special characters in the password)",
  ),
  MAIL_FROM: z
    .string()
    .regex(
      /^(?:[^\s@<>]+@[^\s@<>]+|[^<>]*<[^\s@<>]+@[^\s@<>]+>)$/,
      fail(
        "must be an email address or Name <address>",
        "set it like CompuCar <noreply@compucar.pro>",
      ),
    ),
  HOST: z
    .string()
    .refine(
      (value) => isIP(value) !== 0 || /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$/.test(value),
      fail(
        "must be an IP address or a host name",
        "set it to 127.0.0.1 (behind nginx on the same box) or 0.0.0.0 (in a container)",
      ),
    ),
  PORT: integer("PORT", 1, 65_535, "an integer from 1 to 65535"),
  STATUS_PASSWORD: z
    .string()
    .refine(
      (value) => value.length >= 12,
      fail(
        "is shorter than 12 characters",
        "set a longer one, e.g. the output of `openssl rand -base64 18`",
      ),
    ),
  NOTIFY_MAX_PER_SECOND: integer(
    "NOTIFY_MAX_PER_SECOND",
    0,
    1_000_000,
    "a whole number of messages per second (0 = no cap)",
  ),
  NOTIFY_CONCURRENCY: integer("NOTIFY_CONCURRENCY", 1, 1_000, "an integer from 1 to 1000"),
  OUTBOX_RETENTION_DAYS: integer(
    "OUTBOX_RETENTION_DAYS",
    1,
    36_500,
    "a whole number of days, at least 1",
  ),
  LOG_LEVEL: z
    .string()
    .transform((value) => value.toLowerCase())
    .pipe(
      z.enum(
        LOG_LEVELS,
        fail(`must be one of ${LOG_LEVELS.join(", ")}`, `set it to ${defaultOf("LOG_LEVEL")}`),
      ),
    ),
} as const;

/** A variable that has a parser. */
export type ParsedVariable = keyof typeof PARSERS;
/** What the parser of `N` gives. */
export type ParsedValue<N extends ParsedVariable> = z.output<(typeof PARSERS)[N]>;
