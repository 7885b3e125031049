/**
 * Every environment variable the service reads, with its default as text: the one place
 * defaults are written. The loader parses a default with the same parser as a value
 * that is set, and the README's configuration table is this table.
 */

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
    name: "DATABASE_DIRECT_URL",
    default: undefined,
    description:
      "A direct connection to the same database (as Prisma's `directUrl`), for LISTEN and the session advisory locks, when `DATABASE_URL` goes through a transaction pooler (PgBouncer in transaction mode), where those silently do nothing. The service warns at start when it detects one.",
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
    name: "SHOP_TIMEZONE",
    default: "Africa/Algiers",
    description:
      "The shop's IANA time zone: times in messages are shown in it, with its UTC offset, for every customer whose `users.timezone` is still the website's column default `America/New_York` (never chosen) or empty; a customer who chose another zone gets theirs. Quiet hours follow the same zone.",
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
    name: "HOST",
    default: "127.0.0.1",
    description:
      "Address the HTTP server (`/healthz`, `/metrics`, the webhook) listens on. The default keeps it off the network: nginx on the same box proxies the webhook and Prometheus scrapes locally. Set `0.0.0.0` in a container (or `::` for IPv6 too).",
    secret: false,
  },
  {
    name: "STATUS_PASSWORD",
    default: undefined,
    description:
      "Turns on the status page `/status` (health, backlog, 30 days of charts) behind this password (at least 12 characters; `openssl rand -base64 18`), on `HOST`/`PORT`. Log in with the page's form or HTTP Basic (any user name). Unset: `/status` answers 404.",
    secret: true,
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
  {
    name: "SUPPORT_HOURS_FR",
    default: undefined,
    description:
      "Shown by `/support` to customers answered in French, in place of `SUPPORT_HOURS` (e.g. `du lundi au vendredi, 9 h–18 h`). Unset: `SUPPORT_HOURS`.",
    secret: false,
  },
  {
    name: "SUPPORT_HOURS_AR",
    default: undefined,
    description:
      "Shown by `/support` to customers answered in Arabic, in place of `SUPPORT_HOURS`. Unset: `SUPPORT_HOURS`.",
    secret: false,
  },
];

/**
 * The documented default of a variable, as text.
 * @throws Error when the variable is not in {@link CONFIG_VARIABLES} or has no default
 * (a mistake in this file, not in the environment).
 */
export function defaultOf(name: string): string {
  const value = CONFIG_VARIABLES.find((v) => v.name === name)?.default;
  if (value === undefined) throw new Error(`CONFIG_VARIABLES: ${name} has no default`);
  return value;
}
