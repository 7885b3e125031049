/** A script (or src/main.ts) run as a process, as an operator runs it. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** What a script printed, and how it exited. */
export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout then stderr. */
  out: string;
}

/**
 * Runs `node --import tsx <args>` in the project folder with only `env` (and PATH, HOME):
 * nothing of the test's own environment leaks in. Never throws on a non-zero exit.
 */
export async function runScript(
  args: string[],
  env: Record<string, string> = {},
  { withoutTsx = false } = {},
): Promise<ScriptResult> {
  const argv = withoutTsx ? args : ["--import", "tsx", ...args];
  const options = {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    cwd: process.cwd(),
    timeout: 180_000,
  };
  try {
    const { stdout, stderr } = await run(process.execPath, argv, options);
    return { code: 0, stdout, stderr, out: stdout + stderr };
  } catch (error) {
    const e = error as { code: number | string; stdout: string; stderr: string };
    const code = typeof e.code === "number" ? e.code : -1;
    return { code, stdout: e.stdout, stderr: e.stderr, out: e.stdout + e.stderr };
  }
}
