/** `tsx src/main.ts start` as a child process, as an operator runs it, with its log lines. */
import { type ChildProcess, spawn } from "node:child_process";
import { freePort } from "../../src/db/embedded.ts";
import { until } from "./wait.ts";

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

/** Starts the service with `env` (plus PATH and PORT) and resolves once /healthz answers 200. */
export async function startServiceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "start"], {
    env: { PATH: process.env.PATH ?? "", PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
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
