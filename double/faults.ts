/**
 * Fault injection for the Bot API double: which calls fail, how, and for how many calls or
 * how long. Each call takes the first rule that matches its method (and chat).
 */

/** A scripted failure. */
export type Fault =
  | { kind: "tooManyRequests"; retryAfter: number }
  | { kind: "blocked" }
  | { kind: "chatNotFound" }
  /** 400 with this description (after "Bad Request: "). */
  | { kind: "badRequest"; description: string }
  | { kind: "badGateway" }
  | { kind: "serverError" }
  | { kind: "unauthorized" }
  | { kind: "slow"; ms: number }
  /** Answered (normally) only once `release` settles: a send held in flight, no clock. */
  | { kind: "hold"; release: Promise<unknown> }
  | { kind: "drop" };

interface FaultRule {
  fault: Fault;
  method: string;
  chatId?: number;
  remaining?: number;
  until?: number;
}

/** Which calls match a rule: the method (sendMessage by default) and, if given, the chat. */
export interface FaultTarget {
  method?: string;
  chatId?: number;
}

/** The double's scripted failures, in the order they were added. */
export class FaultScript {
  private rules: FaultRule[] = [];

  /** The next `n` matching calls fail with `fault`. */
  failNext(n: number, fault: Fault, target: FaultTarget = {}): void {
    this.rules.push({
      fault,
      method: target.method ?? "sendMessage",
      chatId: target.chatId,
      remaining: n,
    });
  }

  /**
   * The next `n` matching calls arrive (and are recorded in `arrivals`) but get no answer
   * until the returned function is called; then they are answered as usual.
   */
  holdNext(n: number, target: FaultTarget = {}): () => void {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.failNext(n, { kind: "hold", release: released }, target);
    return release;
  }

  /** Every matching call during the next `ms` milliseconds fails with `fault`. */
  failFor(ms: number, fault: Fault, target: { method?: string } = {}): void {
    this.rules.push({
      fault,
      method: target.method ?? "sendMessage",
      until: performance.now() + ms,
    });
  }

  /** Every sendMessage to `chatId` fails with `fault` until clear(). */
  failChat(chatId: number, fault: Fault): void {
    this.rules.push({ fault, method: "sendMessage", chatId });
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault for a call arriving now, counting it against its rule; undefined: answer it. */
  take(method: string, chatId: number): Fault | undefined {
    if (this.rules.length === 0) return undefined;
    const now = performance.now();
    this.rules = this.rules.filter(
      (f) =>
        (f.remaining === undefined || f.remaining > 0) && (f.until === undefined || f.until > now),
    );
    const rule = this.rules.find(
      (f) => f.method === method && (f.chatId === undefined || f.chatId === chatId),
    );
    if (!rule) return undefined;
    if (rule.remaining !== undefined) rule.remaining--;
    return rule.fault;
  }
}
