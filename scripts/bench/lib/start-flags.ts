import { readFileSync } from "node:fs";
import { projectRoot } from "../../../src/db/migrations.ts";

/**
 * The node flags `npm start` runs the bundle with, read from package.json's start script
 * (`node <flags> dist/main.mjs start`), so that the benchmarks run what a shop runs.
 */
export function startFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(`${projectRoot}/package.json`, "utf8")) as {
    scripts: { start: string };
  };
  const words = scripts.start.split(/\s+/);
  return words.slice(words.indexOf("node") + 1, words.indexOf("dist/main.mjs"));
}
