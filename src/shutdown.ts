/**
 * Two-stage shutdown: stop taking work, finish what is in flight, then force the exit after
 * a timeout. The service adds one step per part as it starts it; the steps run latest
 * first, so a part stops before the parts it depends on (polling before the bot's
 * counters, everything before the database connections).
 */
import type { Logger } from "./log.ts";

/** One part's way to stop. */
export type ShutdownStep = () => Promise<void> | void;

/** Options for {@link createShutdown}. */
export interface ShutdownOptions {
  logger: Pick<Logger, "info" | "warn" | "error">;
  /** How long one step may take before the next one runs anyway. Defaults to 3 seconds. */
  stepTimeoutMs?: number;
  /** How long {@link Shutdown.stop} may take before the process exits with 1. Defaults to 9 seconds. */
  timeoutMs?: number;
  /** Ends the process when stopping takes too long or a second signal comes. Defaults to `process.exit`. */
  exit?: (code: number) => void;
}

/** What a signal handler listens on: `process`, or a stand-in in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** The steps that stop a running service, and the stop itself. */
export interface Shutdown {
  /** Adds a step; steps run in the reverse of the order they were added. */
  add(name: string, step: ShutdownStep): void;
  /**
   * Runs every step added so far, latest first, each within the step timeout; a step that
   * fails or hangs is logged by name and the next one runs. Used when starting fails.
   */
  unwind(): Promise<void>;
  /**
   * Stops once (later calls return the same promise): logs, runs the steps, logs `stopped`.
   * Exits the process with 1 if that takes longer than the timeout.
   */
  stop(): Promise<void>;
  /** Resolves when {@link stop} has finished. */
  readonly stopped: Promise<void>;
  /**
   * SIGTERM and SIGINT call {@link stop}; a second one exits at once with 1. The handlers
   * are removed after every step has run.
   */
  handleSignals(source?: SignalSource): void;
}

/** Creates an empty shutdown; the service adds a step for each part it starts. */
export function createShutdown(options: ShutdownOptions): Shutdown {
  const { logger } = options;
  const stepTimeoutMs = options.stepTimeoutMs ?? 3_000;
  const timeoutMs = options.timeoutMs ?? 9_000;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const steps: NamedStep[] = [];
  const last: NamedStep[] = [];
  let stopping: Promise<void> | undefined;
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });

  const unwind = async () => {
    const order = [...steps.splice(0).reverse(), ...last.splice(0)];
    for (const step of order) await runStep(step, stepTimeoutMs, logger);
  };

  const stop = () => {
    stopping ??= (async () => {
      logger.info("stopping: finishing in-flight work");
      const force = setTimeout(() => {
        logger.error(`still stopping after ${timeoutMs / 1000} s; exiting anyway`);
        exit(1);
      }, timeoutMs);
      force.unref();
      await unwind();
      clearTimeout(force);
      logger.info("stopped");
      resolveStopped();
    })();
    return stopping;
  };

  return {
    add(name, step) {
      steps.push({ name, step });
    },
    unwind,
    stop,
    stopped,
    handleSignals(source: SignalSource = process) {
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) {
          logger.warn(`${signal} again: exiting now`);
          exit(1);
          return;
        }
        void stop();
      };
      source.on("SIGTERM", onSignal);
      source.on("SIGINT", onSignal);
      last.push({
        name: "signal handlers",
        step: () => {
          source.off("SIGTERM", onSignal);
          source.off("SIGINT", onSignal);
        },
      });
    },
  };
}

interface NamedStep {
  name: string;
  step: ShutdownStep;
}

/** Runs one step within `timeoutMs`; a step that fails or hangs is named in a warning. */
async function runStep(
  { name, step }: NamedStep,
  timeoutMs: number,
  logger: ShutdownOptions["logger"],
): Promise<void> {
  // One part that hangs must not keep the others (and the exit) waiting.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
    timer.unref();
  });
  const outcome = await Promise.race([
    Promise.resolve()
      .then(step)
      .then(
        () => "ok",
        () => "failed",
      ),
    timeout,
  ]);
  clearTimeout(timer);
  if (outcome !== "ok") {
    const what =
      outcome === "timeout" ? `did not stop within ${timeoutMs / 1000} s` : "failed to stop";
    logger.warn(`stopping: ${name} ${what}`);
  }
}
