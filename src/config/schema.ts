/**
 * How each variable's text becomes a value: one parser per variable, keyed by its name.
 * Every parser fails with a message `problem|fix` and never quotes the input, so a
 * malformed secret does not end up in an error. Plain functions, not a schema library:
 * zod, used here before, held ~3 MB of the service's heap for a read done once at start
 * (docs/benchmarks.md, Memory and start-up).
 */
import { isIP } from "node:net";
import { ChatIdCipher, chatIdKeyProblem } from "../chat-id.ts";
import { isTimeZone } from "../format.ts";
import { defaultOf, LOG_LEVELS } from "./variables.ts";

/** One configuration problem: the variable (or file), what is wrong and the fix. */
export interface Problem {
  name: string;
  problem: string;
  fix: string;
}

/** What a parser made of a variable's text: its value, or `problem|fix`. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };
/** A variable's parser. */
export type Parser<T> = (text: string) => Parsed<T>;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (problem: string, fix: string): Parsed<never> => ({
  ok: false,
  message: `${problem}|${fix}`,
});

/** The problem a parser reported for this variable. */
export function problemFrom(name: string, message: string): Problem {
  const [problem = "is invalid", fix = "correct it"] = message.split("|");
  return { name, problem, fix };
}

/** `NAME: problem. Fix: fix.`, the line an operator reads. */
export function render({ name, problem, fix }: Problem): string {
  const end = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);
  return `${name}: ${end(problem)} Fix: ${end(fix)}`;
}

/** The text as it is when `test` holds. */
function when(test: (value: string) => boolean, problem: string, fix: string): Parser<string> {
  return (value) => (test(value) ? ok(value) : fail(problem, fix));
}

/** What `parser` gives, turned by `turn`. */
function then<A, B>(parser: Parser<A>, turn: (value: A) => B): Parser<B> {
  return (value) => {
    const parsed = parser(value);
    return parsed.ok ? ok(turn(parsed.value)) : parsed;
  };
}

function urlWith(protocols: readonly string[], problem: string, fix: string) {
  return when(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    problem,
    fix,
  );
}

/** A lower-cased word from a fixed list. */
function oneOf<const T extends readonly [string, ...string[]]>(
  words: T,
  fix: string,
  problem = `must be ${words.join(" or ")}`,
): Parser<T[number]> {
  return (value) => {
    const word = value.toLowerCase();
    return (words as readonly string[]).includes(word) ? ok(word as T[number]) : fail(problem, fix);
  };
}

/** A whole number from `min` to `max`; the fix suggests the variable's default. */
function integer(name: string, min: number, max: number, what: string) {
  return then(
    when(
      (value) => /^\d{1,10}$/.test(value) && Number(value) >= min && Number(value) <= max,
      `must be ${what}`,
      `set it to a number such as ${defaultOf(name)}`,
    ),
    Number,
  );
}

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, "");

const httpUrl = then(
  urlWith(
    ["http:", "https:"],
    "must be an http:// or https:// URL",
    "set it like https://example.com",
  ),
  withoutTrailingSlash,
);

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
  TELEGRAM_CUSTOMER_BOT_TOKEN: when(
    (value) => /^\d+:[A-Za-z0-9_-]{30,}$/.test(value),
    "looks malformed: a BotFather token looks like 123456789:AA...",
    "copy it again from @BotFather",
  ),
  TELEGRAM_CUSTOMER_BOT_ENABLED: then(
    oneOf(
      ["true", "false", "1", "0", "yes", "no"],
      "set it to true or false",
      "must be true or false",
    ),
    (value) => value === "true" || value === "1" || value === "yes",
  ),
  TELEGRAM_API_ROOT: httpUrl,
  TELEGRAM_MODE: oneOf(["polling", "webhook"], "set it to polling or webhook"),
  TELEGRAM_WEBHOOK_URL: urlWith(
    ["https:"],
    "must be an https:// URL (Telegram only posts to https)",
    "set it like https://bot.compucar.pro/telegram/webhook",
  ),
  TELEGRAM_WEBHOOK_SECRET: when(
    (value) => /^[A-Za-z0-9_-]{1,256}$/.test(value),
    "must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)",
    "set it to the output of `openssl rand -hex 32`",
  ),
  TELEGRAM_CHAT_ID_KEY: (key: string): Parsed<ChatIdCipher> => {
    const wrong = chatIdKeyProblem(key);
    return wrong ? fail(wrong.problem, wrong.fix) : ok(ChatIdCipher.fromBase64(key));
  },
  WEBSITE_URL: httpUrl,
  SHOP_TIMEZONE: when(
    isTimeZone,
    "is not an IANA time zone",
    "set it like Africa/Algiers or Europe/Paris",
  ),
  LINK_VERIFICATION: oneOf(["email", "none"], "set it to email or none"),
  SMTP_URL: urlWith(
    ["smtp:", "smtps:"],
    "must be an smtp:// or smtps:// URL",
    "set it like smtp://user:pass@host:587 (percent-encode special characters in the password)",
  ),
  MAIL_FROM: when(
    (value) => /^(?:[^\s@<>]+@[^\s@<>]+|[^<>]*<[^\s@<>]+@[^\s@<>]+>)$/.test(value),
    "must be an email address or Name <address>",
    "set it like CompuCar <noreply@compucar.pro>",
  ),
  HOST: when(
    (value) => isIP(value) !== 0 || /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$/.test(value),
    "must be an IP address or a host name",
    "set it to 127.0.0.1 (behind nginx on the same box) or 0.0.0.0 (in a container)",
  ),
  PORT: integer("PORT", 1, 65_535, "an integer from 1 to 65535"),
  STATUS_PASSWORD: when(
    (value) => value.length >= 12,
    "is shorter than 12 characters",
    "set a longer one, e.g. the output of `openssl rand -base64 18`",
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
  LOG_LEVEL: oneOf(
    LOG_LEVELS,
    `set it to ${defaultOf("LOG_LEVEL")}`,
    `must be one of ${LOG_LEVELS.join(", ")}`,
  ),
} as const;

/** A variable that has a parser. */
export type ParsedVariable = keyof typeof PARSERS;
/** What the parser of `N` gives. */
export type ParsedValue<N extends ParsedVariable> =
  (typeof PARSERS)[N] extends Parser<infer T> ? T : never;
