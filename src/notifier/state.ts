/** What the notifier reports, for metrics. */
export type NotifierEvent =
  | { type: "sent"; kind: string; latencyMs: number }
  | { type: "failed"; kind: string; reason: string }
  | { type: "skipped"; kind: string; reason: string }
  | { type: "retry"; kind: string; reason: string }
  | { type: "listener"; state: "connected" | "reconnecting" | "failed" };

export type Emit = (event: NotifierEvent) => void;

/** What the notifier's rooms share while it runs; createNotifier owns the one instance. */
export interface RunState {
  /** stop() was called: nothing more is claimed, rows not yet sent are given back. */
  stopped: boolean;
  /** Why nothing more is sent (Telegram refused the token), once that happened. */
  fatal: string | undefined;
  /**
   * Telegram asked every send to wait until then: a performance.now() time, so a step of
   * the wall clock (an NTP correction) cannot shorten or stretch the pause.
   */
  pausedUntil: number;
  /** When the last claim came back. */
  lastDrainAt: Date | null;
  /** How long the last claim took (ms), to start the next one that long ahead. */
  lastClaimMs: number;
  /**
   * Claimed rows not settled as sent or failed (given back, retried, a blocked customer's
   * later rows), counted: after such a batch the drain claims once more.
   */
  unsettled: number;
}

export function newRunState(): RunState {
  return {
    stopped: false,
    fatal: undefined,
    pausedUntil: 0,
    lastDrainAt: null,
    lastClaimMs: 0,
    unsettled: 0,
  };
}

/** Whether the notifier may go on claiming and sending. */
export function running(state: RunState): boolean {
  return !state.stopped && !state.fatal;
}
