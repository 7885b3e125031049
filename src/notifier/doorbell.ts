import type pg from "pg";
import type { Options as ListenOptions, Subscriber } from "pg-listen";
import * as pgListen from "pg-listen";
import type { Logger } from "../log.ts";
import type { BusyLocks } from "./busy-locks.ts";
import { sleep } from "./pacing.ts";
import { type Emit, type RunState, running } from "./state.ts";

export interface DoorbellOptions {
  databaseUrl: string;
  logger: Logger;
  emit: Emit;
  state: RunState;
  slowTimerMs: number;
  drain: () => Promise<void>;
  /** Held while LISTEN is in place and no NOTIFY is being answered: the triggers ring then. */
  locks: BusyLocks;
}

// pg-listen is CommonJS with its function on `default`.
const createSubscriber = (
  pgListen as unknown as {
    default: (config: pg.ClientConfig, options: ListenOptions) => Subscriber;
  }
).default;

const CHANNEL = "telegram_outbox";

/**
 * What wakes the drain: LISTEN telegram_outbox (a NOTIFY is only a doorbell; the table is
 * the truth), every (re)connect, a slow timer, and the drain's own follow-ups. One drain
 * runs at a time; a ring during it runs another right after. A drain that fails (the
 * database is away) is retried with backoff instead of spinning.
 *
 * The website's triggers NOTIFY only while the ring locks are held (busy-locks.ts): from
 * when the LISTEN is in place until a NOTIFY comes while a drain runs, and again once the
 * drains answering it are over. Each time they are taken, a drain runs: it finds the
 * events that rang no bell.
 */
export class Doorbell {
  #listening = false;
  #subscribed = false;
  #draining: Promise<void> | undefined;
  #again = false;
  #failures = 0;
  #slowTimer: NodeJS.Timeout | undefined;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #subscriber: Subscriber;
  readonly #options: DoorbellOptions;

  constructor(options: DoorbellOptions) {
    this.#options = options;
    this.#subscriber = this.#listen();
    options.locks.onArmed(() => this.ring());
  }

  get listening(): boolean {
    return this.#listening;
  }

  /** Connects the listener, starts the slow timer and drains once. */
  start(): void {
    const { logger, state } = this.#options;
    this.#subscriber
      .connect()
      .then(() => this.#subscriber.listenTo(CHANNEL))
      .then(() => {
        this.#subscribed = true;
        if (!state.stopped) this.#options.locks.setListening(true);
      })
      .catch((error: unknown) => {
        if (!state.stopped)
          logger.error({ err: error }, "notifier: could not LISTEN; draining on the timer only");
      });
    this.#slowTimer = setInterval(() => this.ring(), this.#options.slowTimerMs);
    this.ring();
  }

  /** Drains now, or right after the drain in progress. */
  ring(): void {
    const { logger, state } = this.#options;
    if (!running(state)) return;
    if (this.#draining) {
      this.#again = true;
      return;
    }
    this.#draining = this.#options
      .drain()
      .then(() => {
        this.#failures = 0;
      })
      .catch((error) => {
        this.#failures++;
        if (this.#failures === 1 && !state.stopped)
          logger.error({ err: error }, "notifier: drain failed; retrying with backoff");
        this.ringIn(Math.min(10_000, 250 * 2 ** Math.min(this.#failures, 6)));
        this.#again = false;
      })
      .finally(() => {
        this.#draining = undefined;
        if (this.#again && !state.stopped) {
          this.#again = false;
          this.ring();
        } else {
          this.#options.locks.setAnswering(false);
        }
      });
  }

  /** Rings in `ms`. */
  ringIn(ms: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.ring();
    }, ms);
    this.#timers.add(timer);
  }

  /** Called by the drain as it claims: the rings so far are being answered. */
  answered(): void {
    this.#again = false;
  }

  /** Stops ringing, waits up to `timeoutMs` for the drain in progress, closes LISTEN. */
  async stop(timeoutMs: number): Promise<void> {
    if (this.#slowTimer) clearInterval(this.#slowTimer);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#options.locks.setListening(false);
    await Promise.race([this.#draining ?? Promise.resolve(), sleep(timeoutMs)]);
    await this.#subscriber.close().catch(() => {});
    this.#listening = false;
  }

  #listen(): Subscriber {
    const { logger, emit, locks } = this.#options;
    const subscriber = createSubscriber(
      {
        connectionString: this.#options.databaseUrl,
        application_name: "compucar-customer-bot listener",
      },
      {
        parse: (payload: string) => payload,
        paranoidChecking: 10_000,
        retryLimit: Number.POSITIVE_INFINITY,
        retryTimeout: Number.POSITIVE_INFINITY,
        retryInterval: (attempt: number) =>
          Math.min(10_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2),
      },
    );
    subscriber.notifications.on(CHANNEL, () => {
      // The first ring brings us. A second one while we drain: events come faster than
      // one at a time, and until these drains are over more rings would only cost the
      // website, so the ring locks go back. A lone event (a few a second) costs no
      // query on the locks' connection and no claim to arm them again afterwards.
      const again = this.#draining !== undefined;
      this.ring();
      if (again) locks.setAnswering(true);
    });
    subscriber.events.on("connected", () => {
      if (!this.#listening) logger.info("notifier: listening for new events");
      this.#listening = true;
      // A reconnect LISTENs again before it says so; the first LISTEN follows connect() in start().
      if (this.#subscribed && !this.#options.state.stopped) locks.setListening(true);
      emit({ type: "listener", state: "connected" });
      this.ring();
    });
    subscriber.events.on("reconnect", (attempt: number) => {
      if (this.#listening) logger.warn("notifier: lost the LISTEN connection; reconnecting");
      this.#listening = false;
      locks.setListening(false);
      if (attempt === 1) emit({ type: "listener", state: "reconnecting" });
    });
    subscriber.events.on("error", (error: Error) => {
      this.#listening = false;
      locks.setListening(false);
      logger.error({ err: error }, "notifier: the LISTEN connection failed");
      emit({ type: "listener", state: "failed" });
    });
    return subscriber;
  }
}
