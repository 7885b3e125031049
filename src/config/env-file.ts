/**
 * Where values come from: the environment first, then `.env.local`, then `.env` (both in
 * the working directory, both optional), as node's `util.parseEnv` reads them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import type { Problem } from "./schema.ts";

/** Variables by name, as `process.env` holds them. */
export type Env = Record<string, string | undefined>;

/**
 * `env` over `.env.local` over `.env` (files in `cwd`). A file that exists but cannot be
 * read is a problem; a missing file is not.
 */
export function mergeEnv(env: Env, cwd: string, problems: Problem[]): Env {
  const files = [".env", ".env.local"].map((name) => readEnvFile(join(cwd, name), problems));
  const merged: Env = { ...files[0], ...files[1] };
  for (const [name, value] of Object.entries(env)) if (value !== undefined) merged[name] = value;
  return merged;
}

function readEnvFile(path: string, problems: Problem[]): Env {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") {
      problems.push({
        name: path,
        problem: `could not be read (${code ?? "unknown error"})`,
        fix: "make it readable by the service's user, or remove it",
      });
    }
    return {};
  }
  return parseEnv(text);
}
