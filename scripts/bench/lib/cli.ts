/** What every benchmark script shares when run on its own: its options, its table. */
import { pathToFileURL } from "node:url";
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
  const { values } = parseArgs({ options });
  const rows = await run(values);
  if (rows) console.log(`\n${formatTable(rows)}`);
}
