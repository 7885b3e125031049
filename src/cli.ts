/**
 * The command line behind src/main.ts (which loads this file once the compile cache is on):
 * start and migrate, their usage text and exit codes.
 */
import { ConfigError, loadDatabaseConfig } from "./config.ts";
import { openDatabase } from "./db/database.ts";
import { runMigrations } from "./db/migrations.ts";
import { explainMissing } from "./db/repair.ts";
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
  migrate               applies the committed migrations to DATABASE_URL (safe on a live
                        database; again after each upgrade) and restores what the
                        website's tools dropped (our triggers, indexes, columns); names
                        the database first and refuses to run without DATABASE_URL

Options:
  --only bot|notifier   with start: run only that part (and HTTP)
  --embedded            with migrate: migrate the embedded PostgreSQL in ./.data instead
  -h, --help            this text

Examples:
  npm start
  npm start -- --only notifier
  DATABASE_URL=postgres://compucar_user@localhost:5432/compucar npm run migrate
  node --enable-source-maps dist/main.mjs start --only bot`;

const COMMAND = {
  usage: USAGE,
  options: { only: { type: "string" }, embedded: { type: "boolean" } },
  positionals: ["<command>"],
} as const;

async function main(argv: string[]): Promise<number> {
  const line = readCommandLine(COMMAND, argv);
  const wrong = (message: string) => {
    console.error(usageError(COMMAND, message));
    return USAGE_ERROR_EXIT;
  };
  const [command] = line.positionals;
  const { only, embedded } = line.values;
  if (command === "migrate") {
    if (only !== undefined) return wrong("--only goes with start, not migrate");
    return migrate(embedded === true);
  }
  if (embedded !== undefined) return wrong("--embedded goes with migrate, not start");
  if (command === "start") {
    if (only !== undefined && only !== "bot" && only !== "notifier")
      return wrong(`--only must be bot or notifier (got "${only}")`);
    const { runService } = await import("./service.ts");
    return runService({ only });
  }
  return wrong(`unknown command "${command}": start or migrate`);
}

/**
 * `npm run migrate`: names the database it is about to change, refuses the embedded one
 * unless asked (an operator whose shell lacks DATABASE_URL would otherwise migrate
 * ./.data and believe the shop's database done), migrates, restores what the website's
 * tools dropped. Exits 1 when something is still missing afterwards.
 */
async function migrate(embedded: boolean): Promise<number> {
  const config = loadDatabaseConfig();
  if (!config.databaseUrl && !embedded) {
    console.error(
      "DATABASE_URL is not set, so there is no database to migrate: set DATABASE_URL to the website's database (in the environment or .env), or run `npm run migrate -- --embedded` to migrate the embedded PostgreSQL in ./.data that `npm start` uses without it",
    );
    return 1;
  }
  if (config.databaseUrl && embedded) {
    console.error(
      "--embedded migrates the embedded PostgreSQL in ./.data, but DATABASE_URL is set: unset it, or leave out --embedded to migrate DATABASE_URL",
    );
    return 1;
  }
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config.databaseUrl, logger);
  try {
    logger.info(`migrating ${describeTarget(database.url)}${embedded ? " (embedded)" : ""}`);
    const { repaired, remaining } = await runMigrations(database.url, (level, message) =>
      level === "error" ? logger.error(message) : logger.info(message),
    );
    if (remaining.length > 0) {
      logger.error(explainMissing(remaining));
      return 1;
    }
    logger.info(
      repaired.length > 0
        ? `migrations: up to date, ${repaired.length} object(s) restored`
        : "migrations: up to date",
    );
    return 0;
  } finally {
    await database.close();
  }
}

/** `database "shop" on db.example.com:5432 as user "compucar"`: never the password. */
function describeTarget(url: string): string {
  const u = new URL(url);
  const database = decodeURIComponent(u.pathname.replace(/^\//, "")) || "(default)";
  const user = decodeURIComponent(u.username) || "(default)";
  return `database "${database}" on ${u.hostname || "localhost"}:${u.port || "5432"} as user "${user}"`;
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
