import {
  createConcurrentSink,
  createRunner,
  createSource,
  type RunnerHandle,
  type UpdateSupplier,
} from "@grammyjs/runner";
import { type Bot, type BotError, GrammyError, HttpError } from "grammy";
import type { Update } from "grammy/types";
import pg from "pg";
import type { BotContext } from "./bot/context.ts";
import { POLLING_LOCK } from "./db/locks.ts";
import type { Logger } from "./log.ts";

/** What the leader runs while it holds the lock: started once, stopped on loss or shutdown. */
export interface Poller {
  stop(): Promise<void>;
}

/** Long-polling leadership: Telegram allows one getUpdates caller per bot token. */
export interface PollingLeader {
  /** `leader` while this instance polls, `standby` while another one does. */
  state(): "leader" | "standby" | "stopped";
  stop(): Promise<void>;
}

/** Options for {@link startPollingLeader}. */
export interface PollingLeaderOptions {
  /** The lock lives on a connection of its own, opened from this URL. */
  databaseUrl: string;
  logger: Logger;
  startPolling: () => Poller | Promise<Poller>;
  /** Defaults to 2 seconds. */
  retryMs?: number;
  /** Starts the wait between attempts (defaults to setTimeout); tests pass one to see the waits. */
  setTimer?: (callback: () => void, ms: number) => NodeJS.Timeout;
}

/** The leader's loop as its terms see it. */
interface Run {
  readonly options: PollingLeaderOptions;
  readonly retryMs: number;
  state: "leader" | "standby" | "stopped";
  stopped: boolean;
  /** Ends the current sleep at once (on stop). */
  wake: (() => void) | undefined;
}

/**
 * Takes the polling lock (a session advisory lock on a connection of its own) and runs
 * `startPolling` while it holds it. Other instances wait as hot standby and retry every
 * `retryMs`; when the leader dies its connection closes, the lock is freed and a standby
 * takes over. A leader that loses its connection stops polling at once.
 */
export function startPollingLeader(options: PollingLeaderOptions): PollingLeader {
  const run: Run = {
    options,
    retryMs: options.retryMs ?? 2_000,
    state: "standby",
    stopped: false,
    wake: undefined,
  };
  const loop = (async () => {
    let announcedStandby = false;
    while (!run.stopped) {
      const outcome = await term(run);
      if (outcome === "standby" && !announcedStandby) {
        options.logger.info("polling: another instance polls; standing by");
      }
      if (outcome !== "failed") announcedStandby = outcome === "standby";
      if (!run.stopped) await sleep(run, run.retryMs);
    }
    run.state = "stopped";
  })();

  return {
    state: () => run.state,
    async stop() {
      run.stopped = true;
      run.wake?.();
      await loop;
    },
  };
}

function sleep(run: Run, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = (run.options.setTimer ?? setTimeout)(resolve, ms);
    run.wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

/**
 * One term: takes the lock if it is free and polls until the connection is lost or the
 * leader stops. `led` once it held the lock, `standby` when another instance holds it,
 * `failed` when the lock could not be tried (no connection).
 */
async function term(run: Run): Promise<"standby" | "led" | "failed"> {
  const { options } = run;
  let connection: pg.Client | undefined;
  let poller: Poller | undefined;
  let locked = false;
  let broken = false;
  try {
    connection = new pg.Client({
      connectionString: options.databaseUrl,
      application_name: "compucar-customer-bot polling lock",
    });
    connection.on("error", () => {});
    await connection.connect();
    const { rows } = await connection.query<{ locked: boolean }>(
      "SELECT pg_try_advisory_lock($1, $2) AS locked",
      [...POLLING_LOCK],
    );
    locked = rows[0]?.locked === true;
    if (!locked) return "standby";
    run.state = "leader";
    options.logger.info("polling: this instance polls Telegram for updates");
    poller = await options.startPolling();
    while (!run.stopped) {
      await sleep(run, run.retryMs);
      if (run.stopped) break;
      await connection.query("SELECT 1");
    }
    return "led";
  } catch (error) {
    if (!run.stopped) {
      options.logger.warn(
        { err: error },
        "polling: lost the database connection holding the polling lock",
      );
    }
    // A broken connection took the lock with it; do not talk to it again.
    broken = true;
    return locked ? "led" : "failed";
  } finally {
    run.state = run.stopped ? "stopped" : "standby";
    if (poller) await poller.stop().catch(() => {});
    if (connection && locked && !broken) {
      await connection
        .query("SELECT pg_advisory_unlock($1, $2)", [...POLLING_LOCK])
        .catch(() => {});
    }
    await connection?.end().catch(() => {});
  }
}

/** What the last getUpdates call of a poller said. */
export type PollerState = "starting" | "ok" | "conflict" | "unreachable" | "unauthorized";

/** A poller whose last getUpdates outcome can be asked. */
export interface UpdatesPoller extends Poller {
  state(): PollerState;
  /** The runner underneath (its size() is the updates being handled). */
  readonly runner: RunnerHandle;
}

/** Options for {@link pollUpdates}. */
export interface PollUpdatesOptions {
  logger: Logger;
  /** Every getUpdates outcome, as it happens (Telegram reachability for /healthz). */
  onOutcome?: (state: PollerState) => void;
  /** Updates of different chats handled at once. Defaults to 100. */
  concurrency?: number;
  /** First wait after a failed getUpdates; doubles up to `maxRetryMs`. Defaults to 1 s. */
  retryMs?: number;
  /** Defaults to 30 seconds. */
  maxRetryMs?: number;
}

/** What the bot asks getUpdates for. */
const ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"] as const;

/**
 * Long polling with @grammyjs/runner's source and sink (updates of different chats handled
 * concurrently) and a getUpdates of our own that never gives up: a 409 Conflict (a webhook
 * is set, or another program polls with the token), an unreachable Bot API or a refused
 * token is one JSON log line that names the fix, then retried with backoff until
 * stopped, instead of the runner's console lines and a rejection that ends the process.
 */
export function pollUpdates(bot: Bot<BotContext>, options: PollUpdatesOptions): UpdatesPoller {
  const { logger } = options;
  const retryMs = options.retryMs ?? 1_000;
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  let state: PollerState = "starting";
  let offset = 0;
  const report = (next: PollerState, error?: unknown) => {
    options.onOutcome?.(next);
    if (next !== state) {
      if (next === "ok" && state !== "starting") {
        logger.info("polling: Telegram answers getUpdates again");
      } else if (next !== "ok" && next !== "starting") {
        logger[next === "unauthorized" ? "error" : "warn"](
          { reason: failureReason(error) },
          POLL_FAILURES[next],
        );
      }
    }
    state = next;
  };
  const supplier: UpdateSupplier<Update> = {
    async supply(batchSize, aborted) {
      // The runner's AbortSignal and grammY's (abort-controller's) differ only in typing.
      const signal = aborted as unknown as Parameters<typeof bot.init>[0] & AbortSignal;
      let wait = retryMs;
      for (;;) {
        try {
          if (!bot.isInited()) await bot.init(signal);
          const updates = await bot.api.getUpdates(
            {
              timeout: 30,
              offset,
              limit: Math.max(1, Math.min(batchSize, 100)),
              allowed_updates: [...ALLOWED_UPDATES],
            },
            signal,
          );
          report("ok");
          const last = updates.at(-1)?.update_id;
          if (last !== undefined) offset = last + 1;
          return updates;
        } catch (error) {
          if (signal.aborted) throw error;
          const outcome = pollFailure(error);
          report(outcome, error);
          const retryAfter =
            error instanceof GrammyError ? (error.parameters.retry_after ?? 0) * 1000 : 0;
          await abortableSleep(Math.max(wait, retryAfter) * (0.8 + Math.random() * 0.4), signal);
          wait = Math.min(maxRetryMs, wait * 2);
        }
      }
    },
  };
  const sink = createConcurrentSink<Update>(
    { consume: (update) => bot.handleUpdate(update) },
    async (error) => {
      try {
        await bot.errorHandler(error as BotError<BotContext>);
      } catch (failure) {
        logger.error({ err: failure }, "bot: the error handler failed");
      }
    },
    { concurrency: options.concurrency ?? 100 },
  );
  const runner = createRunner(createSource(supplier), sink);
  runner.start();
  void runner.task()?.catch((error: unknown) => {
    logger.error({ reason: failureReason(error) }, "polling: stopped by an error");
  });
  return {
    state: () => state,
    runner,
    async stop() {
      await runner.stop();
    },
  };
}

/** The one line logged when getUpdates starts failing, with the fix. */
const POLL_FAILURES: Record<Exclude<PollerState, "ok" | "starting">, string> = {
  conflict:
    "polling: Telegram refuses getUpdates with 409 Conflict: a webhook is set for this bot, or another program polls with the same token. Delete the webhook (npx tsx scripts/setup-customer-bot-webhook.ts --delete) or set TELEGRAM_MODE=webhook; stop the other program. Retrying with backoff; notifications are still sent",
  unreachable:
    "polling: cannot reach the Telegram Bot API (network error or 5xx): check the network, DNS, firewall or proxy towards TELEGRAM_API_ROOT. Retrying with backoff",
  unauthorized:
    "polling: Telegram refused TELEGRAM_CUSTOMER_BOT_TOKEN (401): copy the token again from @BotFather. Retrying with backoff",
};

/** The poller's state after a failed getUpdates (or getMe). */
function pollFailure(error: unknown): PollerState {
  if (error instanceof GrammyError) {
    if (error.error_code === 409) return "conflict";
    if (error.error_code === 401 || error.error_code === 404) return "unauthorized";
    if (error.error_code === 429) return "ok";
  }
  return "unreachable";
}

/** A failure in words that hold no secret: Telegram's code and description, or the network error's code. */
export function failureReason(error: unknown): string {
  if (error instanceof GrammyError) return `${error.error_code} ${error.description}`;
  if (error instanceof HttpError) {
    const cause = error.error as { code?: unknown; cause?: { code?: unknown }; name?: string };
    return String(cause?.cause?.code ?? cause?.code ?? cause?.name ?? "network error");
  }
  return error instanceof Error ? error.name : "unknown error";
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
