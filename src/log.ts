/**
 * Structured logs (pino) that never carry a secret or a chat id: every line goes through
 * a scrubbing layer, however deeply the value is nested and whatever wrote it (grammY's
 * errors, the runner, graphile-migrate, our own lines).
 */
import { createRequire } from "node:module";
import {
  type DestinationStream,
  type LevelWithSilent,
  type Logger as PinoLogger,
  pino,
  stdSerializers,
} from "pino";
import type PinoPretty from "pino-pretty";

/** The logger every module takes as a dependency. */
export type Logger = PinoLogger;

/** What a removed value becomes. */
export const CENSOR = "[redacted]";

/**
 * Fields whose value is never written, at any depth (compared case-insensitively):
 * secrets, chat ids, and what identifies a person or repeats what they were sent.
 */
const CENSORED_FIELDS = new Set(
  [
    "token",
    "password",
    "secret",
    "webhookSecret",
    "key",
    "smtpUrl",
    "authorization",
    "x-telegram-bot-api-secret-token",
    "chatId",
    "chat_id",
    "telegramChatId",
    "text",
    "caption",
    "first_name",
    "last_name",
    "firstName",
    "lastName",
    "username",
    "email",
    "phone_number",
  ].map((name) => name.toLowerCase()),
);

/** Objects whose `id` is a chat id (a private chat's id is its user's id). */
const CHAT_OBJECTS = new Set(["chat", "from", "sender_chat", "user"]);

/** Fields pino writes itself: a logged object's own field of that name is renamed. */
const PINO_FIELDS = new Set(["level", "time", "pid", "hostname"]);

/** Deeper than this, values are not written (grammY errors nest three or four levels). */
const MAX_DEPTH = 10;

/**
 * A Telegram bot token in a Bot API URL (`…/bot123456:AbC…/sendMessage`, also with the
 * colon percent-encoded), and a bare BotFather token.
 */
const TOKEN_IN_URL = /bot\d+(?::|%3A)[A-Za-z0-9_-]+/gi;
const BARE_TOKEN = /\b\d{5,}:[A-Za-z0-9_-]{30,}/g;
/** A chat id written into text: `chat_id=123`, `"chat_id":123`, `chatId: -100123`, `chat.id 5`. */
const CHAT_ID_IN_TEXT =
  /((?:chat_id|chatid|telegramchatid|chat\.id|from\.id)(?:\\?["'])?\s*[:= ]\s*(?:\\?["'])?)-?\d+/gi;

/** Secret values shorter than this are not searched for (they would match ordinary words). */
const MIN_SECRET_LENGTH = 6;

/**
 * Removes bot tokens, the given secret values and chat ids written into `text`.
 * `secrets` are the configured values (token, chat-id key, SMTP password...).
 */
export function scrubText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH && out.includes(secret))
      out = out.split(secret).join(CENSOR);
  }
  return out
    .replace(TOKEN_IN_URL, `bot${CENSOR}`)
    .replace(BARE_TOKEN, CENSOR)
    .replace(CHAT_ID_IN_TEXT, `$1${CENSOR}`);
}

/**
 * A copy of `value` safe to log: censored fields (see CENSORED_FIELDS) and the `id` of a
 * chat/from/user object replaced, errors serialized (with their cause, payload and inner
 * errors) and scrubbed like the rest, every string through {@link scrubText}. A value
 * with `toJSON` (a Config, a Date) is taken as it would be written.
 */
export function scrubValue(value: unknown, secrets: readonly string[] = []): unknown {
  return scrub(value, secrets, 0, new WeakSet());
}

function scrub(
  value: unknown,
  secrets: readonly string[],
  depth: number,
  seen: WeakSet<object>,
): unknown {
  if (typeof value === "string") return scrubText(value, secrets);
  if (value === null || typeof value !== "object") return value;
  if (depth > MAX_DEPTH || seen.has(value)) return "[omitted]";
  seen.add(value);
  let plain: unknown = value;
  if (value instanceof Error) plain = stdSerializers.errWithCause(value);
  else if (typeof (value as { toJSON?: unknown }).toJSON === "function")
    plain = (value as { toJSON(): unknown }).toJSON();
  if (plain !== value) return scrub(plain, secrets, depth + 1, seen);
  if (Array.isArray(value)) return value.map((item) => scrub(item, secrets, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = CENSORED_FIELDS.has(key.toLowerCase())
      ? CENSOR
      : CHAT_OBJECTS.has(key) && field !== null && typeof field === "object"
        ? scrubChatObject(field, secrets, depth + 1, seen)
        : scrub(field, secrets, depth + 1, seen);
  }
  return out;
}

function scrubChatObject(
  chat: object,
  secrets: readonly string[],
  depth: number,
  seen: WeakSet<object>,
): unknown {
  const scrubbed = scrub(chat, secrets, depth, seen);
  if (scrubbed !== null && typeof scrubbed === "object" && "id" in scrubbed)
    return { ...scrubbed, id: CENSOR };
  return scrubbed;
}

/**
 * pino-pretty, loaded only when a terminal (or a test) asks for pretty lines: the
 * service under systemd or in a container writes JSON and never needs it. Synchronously,
 * as createLogger is: it is a CommonJS package.
 */
function loadPretty(): typeof PinoPretty {
  return createRequire(import.meta.url)("pino-pretty") as typeof PinoPretty;
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Human-readable colored lines (pino-pretty) instead of JSON. Defaults to whether stdout is a TTY. */
  pretty?: boolean;
  /** Where lines go. Defaults to stdout. */
  destination?: DestinationStream;
  /**
   * Secret values removed from every line wherever they appear: the configured bot token,
   * `TELEGRAM_CHAT_ID_KEY`, the SMTP and database passwords (see `secretsOf` in
   * src/config.ts). Bot tokens of any bot are removed without being listed here.
   */
  secrets?: readonly string[];
}

/**
 * A pino logger at `level` (the config's `logLevel`; defaults to `info`) whose lines are
 * scrubbed twice: each logged object field by field ({@link scrubValue}), then the whole
 * line as text ({@link scrubText}), which also covers messages and child bindings.
 * Pretty output runs in-process as a stream (no worker thread), so the last lines are
 * written before exit.
 */
export function createLogger(level: LevelWithSilent = "info", options: LoggerOptions = {}): Logger {
  const secrets = [...new Set(options.secrets ?? [])];
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  const stream = usePretty
    ? loadPretty()({
        destination: options.destination ?? 1,
        sync: true,
        colorize: options.destination === undefined && process.stdout.isTTY === true,
        translateTime: "SYS:HH:MM:ss.l",
        ignore: "pid,hostname",
      })
    : options.destination;
  const settings = {
    level,
    // Errors are serialized (and scrubbed) by formatters.log already.
    serializers: { err: (error: unknown) => error },
    formatters: {
      log(object: Record<string, unknown>): Record<string, unknown> {
        const out = scrubValue(object, secrets) as Record<string, unknown>;
        // graphile-migrate's lines carry their own `level`: two `level` keys in one JSON
        // object, which log shippers read differently (the last one wins, or a parse error).
        for (const key of PINO_FIELDS) {
          if (key in out) {
            out[`source${key[0]?.toUpperCase()}${key.slice(1)}`] = out[key];
            delete out[key];
          }
        }
        return out;
      },
    },
    hooks: { streamWrite: (line: string) => scrubText(line, secrets) },
  };
  return stream === undefined ? pino(settings) : pino(settings, stream);
}
