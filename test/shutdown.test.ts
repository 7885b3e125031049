import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../src/log.ts";
import { createShutdown, type Shutdown } from "../src/shutdown.ts";

/** What an operator reads in the log: level and message of each line. */
let lines: Array<{ level: number; msg: string }>;
let exits: number[];
let shutdown: Shutdown;

beforeEach(() => {
  vi.useFakeTimers();
  lines = [];
  exits = [];
  const logger = createLogger("info", {
    pretty: false,
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  shutdown = createShutdown({ logger, exit: (code) => void exits.push(code) });
});
afterEach(() => {
  vi.useRealTimers();
});

const messages = () => lines.map((l) => l.msg);
const WARN = 40;
const ERROR = 50;

/** A step that stops only when the test says so. */
function hanging() {
  let release: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { step: () => done, release };
}

describe("shutdown", () => {
  it("runs the steps latest first, logs the two stages, and resolves `stopped`", async () => {
    const ran: string[] = [];
    for (const name of ["database", "connections", "HTTP", "polling"]) {
      shutdown.add(name, () => void ran.push(name));
    }
    let stopped = false;
    void shutdown.stopped.then(() => {
      stopped = true;
    });
    await shutdown.stop();
    expect(ran).toEqual(["polling", "HTTP", "connections", "database"]);
    expect(messages()).toEqual(["stopping: finishing in-flight work", "stopped"]);
    await Promise.resolve();
    expect(stopped).toBe(true);
  });

  it("a step that fails or throws is named, and the next steps still run", async () => {
    const ran: string[] = [];
    shutdown.add("database", () => void ran.push("database"));
    shutdown.add("notifier", () => Promise.reject(new Error("boom")));
    shutdown.add("HTTP", () => {
      throw new Error("sync boom");
    });
    await shutdown.stop();
    expect(ran).toEqual(["database"]);
    expect(lines.filter((l) => l.level === WARN).map((l) => l.msg)).toEqual([
      "stopping: HTTP failed to stop",
      "stopping: notifier failed to stop",
    ]);
    expect(messages().at(-1)).toBe("stopped");
  });

  it("a step that hangs is named after 3 s and the next one runs", async () => {
    const ran: string[] = [];
    const notifier = hanging();
    shutdown.add("database", () => void ran.push("database"));
    shutdown.add("notifier", notifier.step);
    const stop = shutdown.stop();
    await vi.advanceTimersByTimeAsync(2_999);
    expect(ran).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(ran).toEqual(["database"]);
    expect(lines.filter((l) => l.level === WARN).map((l) => l.msg)).toEqual([
      "stopping: notifier did not stop within 3 s",
    ]);
    await stop;
    expect(exits).toEqual([]);
  });

  it("stopping that takes longer than 9 s in all exits with 1, saying so", async () => {
    for (const name of ["a", "b", "c", "d"]) shutdown.add(name, hanging().step);
    void shutdown.stop();
    await vi.advanceTimersByTimeAsync(8_999);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([1]);
    expect(lines.filter((l) => l.level === ERROR).map((l) => l.msg)).toEqual([
      "still stopping after 9 s; exiting anyway",
    ]);
  });

  it("stops once however often it is asked", async () => {
    let runs = 0;
    shutdown.add("HTTP", () => void runs++);
    const first = shutdown.stop();
    expect(shutdown.stop()).toBe(first);
    await first;
    await shutdown.stop();
    expect(runs).toBe(1);
    expect(messages().filter((m) => m === "stopped")).toHaveLength(1);
  });

  it("unwinding a failed start runs the steps without the stop's log lines", async () => {
    const ran: string[] = [];
    shutdown.add("database", () => void ran.push("database"));
    shutdown.add("connections", () => void ran.push("connections"));
    await shutdown.unwind();
    await shutdown.unwind();
    expect(ran).toEqual(["connections", "database"]);
    expect(messages()).toEqual([]);
  });
});

describe("signals", () => {
  it("SIGTERM stops; the handlers are gone once every step has run", async () => {
    const signals = new EventEmitter();
    const ran: string[] = [];
    shutdown.add("HTTP", () => void ran.push("HTTP"));
    shutdown.handleSignals(signals);
    expect(signals.listenerCount("SIGTERM")).toBe(1);
    expect(signals.listenerCount("SIGINT")).toBe(1);
    signals.emit("SIGTERM", "SIGTERM");
    await shutdown.stopped;
    expect(ran).toEqual(["HTTP"]);
    expect(signals.listenerCount("SIGTERM")).toBe(0);
    expect(signals.listenerCount("SIGINT")).toBe(0);
    expect(exits).toEqual([]);
  });

  it("a second signal while stopping exits at once with 1", async () => {
    const signals = new EventEmitter();
    const notifier = hanging();
    shutdown.add("notifier", notifier.step);
    shutdown.handleSignals(signals);
    signals.emit("SIGINT", "SIGINT");
    expect(exits).toEqual([]);
    signals.emit("SIGINT", "SIGINT");
    expect(exits).toEqual([1]);
    expect(messages()).toContain("SIGINT again: exiting now");
    notifier.release();
    await shutdown.stopped;
  });
});
