/** A polling-child.ts process and what it printed: for the leader tests and the takeover bench. */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./polling-child.ts", import.meta.url));

export interface PollingInstance {
  readonly child: ChildProcess;
  /** Lines printed so far: STARTED, POLLING, STOPPED, `WAIT <ms>`, WOKE. */
  lines(): string[];
  /** Alive, and its last POLLING is not followed by STOPPED. */
  polling(): boolean;
  /** Printed POLLING at least once. */
  polled(): boolean;
  /** The waits (ms) it started before it first polled: one per attempt that found the lock taken. */
  waitsBeforePolling(): number[];
  /** Called with each line as it arrives. */
  onLine?: (line: string) => void;
}

/** Starts an instance competing for the polling lock on `databaseUrl`; `retryMs` defaults to the service's. */
export function spawnPollingInstance(databaseUrl: string, retryMs?: number): PollingInstance {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", CHILD, databaseUrl, ...(retryMs === undefined ? [] : [String(retryMs)])],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const lines: string[] = [];
  let partial = "";
  const instance: PollingInstance = {
    child,
    lines: () => lines,
    polling: () =>
      child.exitCode === null &&
      child.signalCode === null &&
      lines.filter((l) => l === "POLLING" || l === "STOPPED").at(-1) === "POLLING",
    polled: () => lines.includes("POLLING"),
    waitsBeforePolling: () => {
      const polled = lines.indexOf("POLLING");
      return (polled === -1 ? lines : lines.slice(0, polled))
        .filter((l) => l.startsWith("WAIT "))
        .map((l) => Number(l.slice(5)));
    },
  };
  child.stdout?.on("data", (d: Buffer) => {
    const parts = (partial + d.toString()).split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      instance.onLine?.(line);
    }
  });
  return instance;
}
