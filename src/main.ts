/**
 * The one entry point (bundled into dist/main.mjs by scripts/build.mjs).
 *   npm start                               bot + notifier + HTTP (node dist/main.mjs start)
 *   npm start -- --only bot                 only the bot (and HTTP)
 *   npm start -- --only notifier            only the notifier (and HTTP)
 *   npm run migrate                         applies the committed migrations
 */
import { ConfigError, loadDatabaseConfig } from "./config.ts";
import { openDatabase } from "./db/database.ts";
import { runMigrations } from "./db/migrations.ts";
import { createLogger } from "./log.ts";
import { readCommandLine, USAGE_ERROR_EXIT, usageError } from "./ops/cli.ts";

// postgres.js 3.4.9 (the latest) can throw from a timer when a connection closes while a
// write is queued (connection.js nextWrite: socket is null). The connection is gone and
// the client reconnects on the next query, so a database restart must not kill the
// service over it; anything else still crashes as Node would.
process.on("uncaughtException", (error) => {
  if (
    error instanceof TypeError &&
    error.message === "Cannot read properties of null (reading 'write')" &&
    error.stack?.includes("postgres/src/connection.js")
  ) {
    console.error("warning: a database connection closed while writing to it; it will reconnect");
    return;
  }
  console.error(error);
  process.exit(1);
});

const USAGE = `usage: npm start [-- --only bot|notifier]
       npm run migrate
       node dist/main.mjs start [--only bot|notifier]
       node dist/main.mjs migrate

The CompuCar customer bot. npm start bundles src/ into dist/main.mjs (scripts/build.mjs)
and runs it with node; systemd, PM2 and the container run node dist/main.mjs directly.
The configuration is the environment, then .env.local, then .env (README, Configuration);
without DATABASE_URL, start runs an embedded PostgreSQL kept in ./.data.

Commands:
  start                 the service: the notifier, the bot and HTTP (/healthz, /metrics,
                        the webhook); SIGTERM or SIGINT stops it
  migrate               applies the committed migrations (safe on a live database; again
                        after each upgrade)

Options:
  --only bot|notifier   with start: run only that part (and HTTP)
  -h, --help            this text

Examples:
  npm start
  npm start -- --only notifier
  DATABASE_URL=postgres://compucar_user@localhost:5432/compucar npm run migrate
  node --enable-source-maps dist/main.mjs start --only bot`;

const COMMAND = {
  usage: USAGE,
  options: { only: { type: "string" } },
  positionals: ["<command>"],
} as const;

async function main(argv: string[]): Promise<number> {
  const line = readCommandLine(COMMAND, argv);
  const wrong = (message: string) => {
    console.error(usageError(COMMAND, message));
    return USAGE_ERROR_EXIT;
  };
  const [command] = line.positionals;
  const { only } = line.values;
  if (command === "migrate") {
    if (only !== undefined) return wrong("--only goes with start, not migrate");
    return migrate();
  }
  if (command === "start") {
    if (only !== undefined && only !== "bot" && only !== "notifier")
      return wrong(`--only must be bot or notifier (got "${only}")`);
    const { runService } = await import("./service.ts");
    return runService({ only });
  }
  return wrong(`unknown command "${command}": start or migrate`);
}

async function migrate(): Promise<number> {
  const config = loadDatabaseConfig();
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config.databaseUrl, logger);
  try {
    await runMigrations(database.url, (level, message) =>
      level === "error" ? logger.error(message) : logger.info(message),
    );
    logger.info("migrations: up to date");
    return 0;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  // process.exit, not exitCode: a library imported on the way resets exitCode to 0.
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(error.message);
    } else {
      console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
      // A PostgreSQL error's HINT says what to do (e.g. the query that finds duplicates).
      const hint = (error as { hint?: unknown } | null)?.hint;
      if (typeof hint === "string") console.error(`hint: ${hint}`);
      if (debugging()) console.error(error);
    }
    process.exit(1);
  },
);

/** Whether LOG_LEVEL asks for details (debug or trace): then a failure shows its stack. */
function debugging(): boolean {
  try {
    const { logLevel } = loadDatabaseConfig();
    return logLevel === "debug" || logLevel === "trace";
  } catch {
    return false;
  }
}
