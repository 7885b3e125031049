import { type ParseArgsConfig, parseArgs } from "node:util";
import { ConfigError } from "../config.ts";

/** The options a command takes, as node:util `parseArgs` declares them (`--help` is added). */
export type CliOptions = NonNullable<ParseArgsConfig["options"]>;

/** What a script or the service's entry point takes, and the text `--help` prints. */
export interface Command<O extends CliOptions> {
  /** Printed by `--help`: the forms of the command, what it does, its options, examples. */
  usage: string;
  /** Its options besides `--help` (`-h`). */
  options: O;
  /** The names of its positional arguments, each required (`<email>`). Defaults to none. */
  positionals?: readonly string[];
}

/** The values of parsed options: a boolean flag or a string, unset when not given. */
export type CliValues<O extends CliOptions> = {
  [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string;
};

/** A command line read against its {@link Command}. */
export type CommandLine<O extends CliOptions> =
  | { kind: "help" }
  | { kind: "error"; message: string }
  | { kind: "run"; values: CliValues<O>; positionals: string[] };

/** Exit code of a command line that is wrong (an unknown option, a missing argument). */
export const USAGE_ERROR_EXIT = 2;

/**
 * Reads `argv` (node:util `parseArgs`, strict): `--help` anywhere asks for the usage; an
 * unknown option, an option without its value, or a wrong number of arguments is an error
 * with a message that names it.
 */
export function parseCommandLine<O extends CliOptions>(
  command: Command<O>,
  argv: string[],
): CommandLine<O> {
  if (argv.includes("--help") || argv.includes("-h")) return { kind: "help" };
  const names = command.positionals ?? [];
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: command.options,
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length < names.length)
      return { kind: "error", message: `missing ${names.slice(positionals.length).join(" ")}` };
    if (positionals.length > names.length)
      return {
        kind: "error",
        message: `unexpected argument "${positionals[names.length]}"${names.length === 0 ? ": this command takes none" : ""}`,
      };
    return { kind: "run", values: values as CliValues<O>, positionals };
  } catch (error) {
    return { kind: "error", message: parseArgsProblem(error) };
  }
}

/** parseArgs' message, without its advice about positionals that start with "-". */
function parseArgsProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}`;
  return message.replace(/^\w/, (c) => c.toLowerCase()).replace(/\.$/, "");
}

/** A wrong command line found by the script itself (options that do not go together). */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The lines printed for a wrong command line: the problem, the forms, where the rest is. */
export function usageError<O extends CliOptions>(command: Command<O>, message: string): string {
  const forms = command.usage.split("\n\n")[0] ?? "";
  return `error: ${message}\n${forms}\nRun it with --help for the options and examples.`;
}

/**
 * Reads the process's command line: `--help` prints the usage and exits 0; a wrong one
 * prints the problem and the usage's first paragraph and exits {@link USAGE_ERROR_EXIT}.
 */
export function readCommandLine<O extends CliOptions>(
  command: Command<O>,
  argv: string[] = process.argv.slice(2),
): { values: CliValues<O>; positionals: string[] } {
  const line = parseCommandLine(command, argv);
  if (line.kind === "help") {
    process.stdout.write(`${command.usage.trimEnd()}\n`);
    process.exit(0);
  }
  if (line.kind === "error") {
    process.stderr.write(`${usageError(command, line.message)}\n`);
    process.exit(USAGE_ERROR_EXIT);
  }
  return line;
}

/**
 * Runs a script: its command line as {@link readCommandLine} reads it, then `body` with
 * the parsed values; a failure of `body` prints one line (exit 1), a {@link UsageError}
 * the problem and the usage's first paragraph (exit {@link USAGE_ERROR_EXIT}).
 */
export async function runScript<O extends CliOptions>(
  command: Command<O>,
  body: (line: { values: CliValues<O>; positionals: string[] }) => Promise<void>,
): Promise<void> {
  const line = readCommandLine(command);
  await runCli(command, () => body(line));
}

/**
 * Runs a script's body: a {@link UsageError} prints the problem and the forms (exit
 * {@link USAGE_ERROR_EXIT}), a configuration problem its block, any other failure one
 * line (no stack trace), and both exit 1.
 */
async function runCli<O extends CliOptions>(
  command: Command<O>,
  body: () => Promise<void>,
): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${usageError(command, error.message)}\n`);
      process.exit(USAGE_ERROR_EXIT);
    }
    console.error(
      error instanceof ConfigError
        ? error.message
        : `error: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  }
}
