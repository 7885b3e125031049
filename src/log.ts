/** Structured logs (pino), with secret fields and chat ids redacted wherever they appear. */
import {
  type DestinationStream,
  type LevelWithSilent,
  type Logger as PinoLogger,
  pino,
} from "pino";
import pretty from "pino-pretty";

/** The logger every module takes as a dependency. */
export type Logger = PinoLogger;

/**
 * Paths pino replaces with `"[redacted]"`: tokens, secrets, passwords, keys, SMTP URLs and
 * Telegram chat ids (top level and one level down, e.g. `{ user: { chatId } }`).
 */
export const REDACT_PATHS: readonly string[] = [
  "token",
  "*.token",
  "chatId",
  "*.chatId",
  "chat_id",
  "*.chat_id",
  "telegramChatId",
  "*.telegramChatId",
  "password",
  "*.password",
  "secret",
  "*.secret",
  "webhookSecret",
  "*.webhookSecret",
  "key",
  "smtpUrl",
  "*.smtpUrl",
  'req.headers["x-telegram-bot-api-secret-token"]',
  "req.headers.authorization",
];

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Human-readable colored lines (pino-pretty) instead of JSON. Defaults to whether stdout is a TTY. */
  pretty?: boolean;
  /** Where lines go. Defaults to stdout. */
  destination?: DestinationStream;
}

/**
 * A pino logger at `level` (the config's `logLevel`; defaults to `info`). Pretty output runs
 * in-process as a stream (no worker thread), so the last lines are written before exit.
 */
export function createLogger(level: LevelWithSilent = "info", options: LoggerOptions = {}): Logger {
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  const stream = usePretty
    ? pretty({
        destination: options.destination ?? 1,
        sync: true,
        colorize: options.destination === undefined && process.stdout.isTTY === true,
        translateTime: "SYS:HH:MM:ss.l",
        ignore: "pid,hostname",
      })
    : options.destination;
  const settings = {
    level,
    redact: { paths: [...REDACT_PATHS], censor: "[redacted]" },
  };
  return stream === undefined ? pino(settings) : pino(settings, stream);
}
