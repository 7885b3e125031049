import {
  createConcurrentSink,
  createRunner,
  createSource,
  type RunnerHandle,
  type UpdateSupplier,
} from "@grammyjs/runner";
import { type Bot, type BotError, GrammyError, HttpError } from "grammy";
import type { Update } from "grammy/types";
import type { BotContext } from "./bot/context.ts";
import { POLLING_LOCK } from "./db/locks.ts";
import { type Leader, type LeaderOptions, startLeader, type Term } from "./leader.ts";
import type { Logger } from "./log.ts";

/** What the leader runs while it holds the lock: started once, stopped on loss or shutdown. */
export type Poller = Term;

/** Long-polling leadership: Telegram allows one getUpdates caller per bot token. */
export type PollingLeader = Leader;

/** Options for {@link startPollingLeader}. */
export interface PollingLeaderOptions
  extends Pick<LeaderOptions, "databaseUrl" | "logger" | "retryMs" | "setTimer"> {
  startPolling: () => Poller | Promise<Poller>;
}

/**
 * Takes the polling lock (src/leader.ts) and runs `startPolling` while it holds it. Other
 * instances wait as hot standby and retry every `retryMs` (defaults to 2 seconds); when
 * the leader dies its connection closes, the lock is freed and a standby takes over. A
 * leader that loses its connection stops polling at once.
 */
export function startPollingLeader(options: PollingLeaderOptions): PollingLeader {
  return startLeader({
    ...options,
    lock: POLLING_LOCK,
    connectionName: "compucar-customer-bot polling lock",
    lines: {
      lead: "polling: this instance polls Telegram for updates",
      standby: "polling: another instance polls; standing by",
      lost: "polling: lost the database connection holding the polling lock",
    },
    lead: options.startPolling,
  });
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
