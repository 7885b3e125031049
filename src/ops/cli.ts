import { ConfigError } from "../config.ts";

/**
 * Runs a script's body: a configuration problem prints its block, any other failure one
 * line (no stack trace), and both exit 1.
 */
export async function runCli(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    console.error(
      error instanceof ConfigError
        ? error.message
        : `error: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  }
}
