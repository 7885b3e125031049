/** What every benchmark script shares when run on its own: its options, its table. */
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { type BenchRow, formatTable } from "./report.ts";

/** The token of the Bot API double in every benchmark. */
export const BENCH_TOKEN = "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** A numeric option's value: undefined when not given. */
export function numberOption(value: string | boolean | undefined): number | undefined {
  return typeof value === "string" ? Number(value) : undefined;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * When the module at `moduleUrl` is the script being run: parses `options` from the
 * command line, runs the benchmark with them, and prints its rows as the table.
 */
export async function runBenchScript<O extends Options>(
  moduleUrl: string,
  options: O,
  run: (
    values: ReturnType<typeof parseArgs<{ options: O }>>["values"],
  ) => Promise<BenchRow[] | undefined>,
): Promise<void> {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? "").href) return;
  const values = parseBenchArgs(moduleUrl, options);
  const rows = await run(values);
  if (rows) console.log(`\n${formatTable(rows)}`);
}

/**
 * The command line of the benchmark script at `moduleUrl`: `--help` prints the script's
 * header comment (its usage and what it measures) and exits 0; an unknown option or a
 * missing value says so in one line, points to --help, and exits 2.
 */
export function parseBenchArgs<O extends Options>(
  moduleUrl: string,
  options: O,
): ReturnType<typeof parseArgs<{ options: O }>>["values"] {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(headerComment(fileURLToPath(moduleUrl)));
    process.exit(0);
  }
  try {
    return parseArgs({ options, args }).values;
  } catch (error) {
    console.error(
      `${error instanceof Error ? error.message : String(error)} (--help lists the options)`,
    );
    process.exit(2);
  }
}

/** The text of the file's first block comment, without its stars. */
function headerComment(file: string): string {
  const match = /\/\*\*([\s\S]*?)\*\//.exec(readFileSync(file, "utf8"));
  if (!match?.[1]) return `usage: see ${file}`;
  return match[1]
    .split("\n")
    .map((line) => line.replace(/^\s*\* ?/, ""))
    .join("\n")
    .trim();
}
