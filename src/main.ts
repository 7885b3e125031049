/**
 * The one entry point.
 *   npm start                      bot + notifier + HTTP (tsx src/main.ts start)
 *   tsx src/main.ts start --only bot        only the bot (and HTTP)
 *   tsx src/main.ts start --only notifier   only the notifier (and HTTP)
 *   npm run migrate                applies the committed migrations to DATABASE_URL and
 *                                  restores what the website's tools dropped
 *   npm run migrate -- --embedded  the same on the embedded PostgreSQL in ./.data
 */
import { parseArgs } from "node:util";
import { ConfigError, loadDatabaseConfig } from "./config.ts";
import { openDatabase } from "./db/database.ts";
import { runMigrations } from "./db/migrations.ts";
import { explainMissing } from "./db/repair.ts";
import { createLogger } from "./log.ts";

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

const USAGE = `usage: tsx src/main.ts <command>
  start [--only bot|notifier]   run the service (bot, notifier, HTTP)
  migrate [--embedded]          apply the committed migrations to DATABASE_URL (--embedded:
                                to the embedded PostgreSQL in ./.data, when it is unset)`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      only: { type: "string" },
      embedded: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 1;
  }
  if (command === "migrate") return migrate(values.embedded === true);
  if (command === "start") {
    const only = values.only;
    if (only !== undefined && only !== "bot" && only !== "notifier") {
      console.error(`--only must be bot or notifier (got "${only}")`);
      return 1;
    }
    const { runService } = await import("./service.ts");
    return runService({ only });
  }
  console.error(`unknown command "${command}"\n${USAGE}`);
  return 1;
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
