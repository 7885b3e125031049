/** `tsx src/main.ts start` as a child process, as an operator runs it, with its log lines. */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, onTestFinished } from "vitest";
import { BotApiDouble } from "../../double/bot-api-double.ts";
import { freePort } from "../../src/db/embedded.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";
import { until } from "./wait.ts";

/** A test file's database and Bot API double: made before its tests, removed after them. */
export function serviceFixtures(): { readonly db: TestDatabase; readonly telegram: BotApiDouble } {
  const fixtures = {} as { db: TestDatabase; telegram: BotApiDouble };
  beforeAll(async () => {
    fixtures.db = await createTestDatabase();
    fixtures.telegram = await BotApiDouble.start({
      token: "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    });
  });
  afterAll(async () => {
    await fixtures.telegram?.close();
    await fixtures.db?.drop();
  });
  return fixtures;
}

export const WEBHOOK_SECRET = "hook-secret_0123456789";

/** The update Telegram posts when the customer of `chat` sends the command `text`. */
export function webhookUpdate(id: number, chat: number, text: string): string {
  return JSON.stringify({
    update_id: id,
    message: {
      message_id: id,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chat, type: "private", first_name: "K" },
      from: { id: chat, is_bot: false, first_name: "K" },
      text,
      entities: [{ type: "bot_command", offset: 0, length: text.length }],
    },
  });
}

/** POSTs `body` to the webhook path of the service on `port`, with `secret` when given. */
export function postToWebhook(port: number, body: string, secret?: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/tg/hook`, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      ...(secret ? { "x-telegram-bot-api-secret-token": secret } : {}),
    },
  });
}

/** The service's environment on `db` and the double (a fresh chat-id key, no email codes). */
export function serviceEnv(
  db: TestDatabase,
  telegram: BotApiDouble,
  mode: "polling" | "webhook" = "polling",
): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    TELEGRAM_CUSTOMER_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.url,
    TELEGRAM_CHAT_ID_KEY: randomBytes(32).toString("base64"),
    LINK_VERIFICATION: "none",
    ...(mode === "webhook"
      ? {
          TELEGRAM_MODE: "webhook",
          TELEGRAM_WEBHOOK_URL: "https://bot.compucar.pro/tg/hook",
          TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
        }
      : {}),
  };
}

/** One JSON log line of the service (pino). */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** Everything the process wrote (stdout and stderr). */
  output(): string;
  /** The JSON log lines written so far, in order. */
  lines(): LogLine[];
  /** Exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

/**
 * Starts the service with `env` (plus PATH and PORT) and resolves once /healthz answers 200.
 * Call it inside a test: the process is killed when the test ends, should it still run.
 */
export async function startServiceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "start"], {
    env: { PATH: process.env.PATH ?? "", PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // A test that fails before it stops the service must not leave it running.
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const service: ServiceProcess = {
    child,
    port,
    output: () => output,
    lines: () =>
      output
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as LogLine),
    exited,
  };
  const ready = await until(
    async () =>
      child.exitCode !== null
        ? "exited"
        : fetch(`http://127.0.0.1:${port}/healthz`).then(
            (r) => r.status === 200 && "healthy",
            () => false,
          ),
    { timeoutMs: 60_000, everyMs: 100, what: "/healthz answering 200" },
  );
  if (ready === "exited") throw new Error(`the service exited before it was healthy:\n${output}`);
  return service;
}

/** Index of the first log line whose message contains `text` (-1 when none). */
export function lineIndex(lines: LogLine[], text: string): number {
  return lines.findIndex((line) => line.msg.includes(text));
}
