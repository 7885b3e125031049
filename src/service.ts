import type { Server } from "node:http";
import { hostname } from "node:os";
import postgres from "postgres";
import { createBot, runBot } from "./bot/bot.ts";
import { webhookReceiver } from "./bot/webhook.ts";
import { type Config, describeConfig, loadConfig } from "./config.ts";
import { type Database, openDatabase } from "./db/database.ts";
import { checkMigrations, runMigrations } from "./db/migrations.ts";
import { type PartHealth, startHttpServer } from "./http.ts";
import { createLogger, type Logger } from "./log.ts";
import { createMailer } from "./mailer.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { createNotifier, type NotifierEvent } from "./notifier/notifier.ts";
import { type PollingLeader, startPollingLeader } from "./polling.ts";
import { startRetention } from "./retention.ts";

/** Which parts to run. Defaults to all of them. */
export interface ServiceOptions {
  only?: "bot" | "notifier";
  /** Environment to read (defaults to process.env); tests and the demo pass their own. */
  env?: Record<string, string | undefined>;
  /** Offline demo configuration (demo token and key allowed). */
  demo?: boolean;
  /** Handle SIGTERM/SIGINT (default true). */
  signals?: boolean;
  logger?: Logger;
}

/** A running service. */
export interface Service {
  readonly config: Config;
  readonly databaseUrl: string;
  readonly http: Server;
  readonly logger: Logger;
  /** Stops taking work, finishes what is in flight, releases connections. */
  stop(): Promise<void>;
  /** Resolves when the service has stopped. */
  readonly stopped: Promise<void>;
}

const SHUTDOWN_TIMEOUT_MS = 9_000;

type CustomerBot = ReturnType<typeof createBot>;

/** `npm start`: runs until SIGTERM/SIGINT; returns the exit code. */
export async function runService(options: ServiceOptions = {}): Promise<number> {
  const service = await startService(options);
  await service.stopped;
  return 0;
}

/**
 * Starts the service: database (embedded when DATABASE_URL is unset), migrations check,
 * notifier, bot (long polling under a leader lock, or webhook), HTTP (/healthz, /metrics,
 * webhook path), retention.
 */
export async function startService(options: ServiceOptions = {}): Promise<Service> {
  const config = loadConfig(options.env ?? process.env, { demo: options.demo });
  const logger = options.logger ?? createLogger(config.logLevel);
  logger.debug({ config: describeConfig(config) }, "configuration");
  const runBotPart = options.only !== "notifier";
  const runNotifierPart = options.only !== "bot";

  const database: Database = await openDatabase(config.databaseUrl, logger);
  const cleanups: Array<[string, () => Promise<void> | void]> = [
    ["database", () => database.close()],
  ];
  const cleanup = async () => {
    for (const [part, fn] of cleanups.reverse()) {
      // One part that hangs must not keep the others (and the exit) waiting.
      const timeout = new Promise<string>((resolve) =>
        setTimeout(() => resolve("timeout"), 3_000).unref(),
      );
      const outcome = await Promise.race([
        Promise.resolve(fn()).then(
          () => "ok",
          () => "failed",
        ),
        timeout,
      ]);
      if (outcome !== "ok")
        logger.warn(
          `stopping: ${part} ${outcome === "timeout" ? "did not stop within 3 s" : "failed to stop"}`,
        );
    }
  };
  try {
    if (database.embedded) {
      await runMigrations(database.url, (level, message) => logger.debug({ level }, message));
    } else {
      const { pending } = await checkMigrations(database.url);
      if (pending.length > 0) {
        throw new Error(
          `the database lacks ${pending.length} migration(s) (${pending.join(", ")}): run \`npm run migrate\` with the same DATABASE_URL, then start again`,
        );
      }
    }

    const sql = postgres(database.url, {
      max: 10,
      onnotice: () => {},
      connection: { application_name: "compucar-customer-bot" },
    });
    cleanups.push(["database connections", () => sql.end({ timeout: 2 })]);
    const metrics = createMetrics(sql);

    const workerId = `${hostname()}:${process.pid}`;
    const notifier = runNotifierPart
      ? createNotifier({
          sql,
          databaseUrl: database.url,
          apiRoot: config.telegram.apiRoot,
          token: config.telegram.token,
          chatIds: config.chatIds,
          logger: logger.child({ part: "notifier" }),
          websiteUrl: config.websiteUrl,
          maxPerSecond: config.notifyMaxPerSecond,
          concurrency: config.notifyConcurrency,
          enabled: config.telegram.enabled,
          workerId,
          onEvent: (event) => recordNotifierEvent(metrics, event),
        })
      : undefined;

    let bot: CustomerBot | undefined;
    let leader: PollingLeader | undefined;
    if (runBotPart) {
      bot = createBot({
        token: config.telegram.token,
        apiRoot: config.telegram.apiRoot,
        sql,
        chatIds: config.chatIds,
        logger: logger.child({ part: "bot" }),
        websiteUrl: config.websiteUrl,
        linkVerification: config.linkVerification,
        mailer: config.smtp ? createMailer(config.smtp) : undefined,
        support: config.support,
        enabled: config.telegram.enabled,
        metrics,
      });
      // Runs after polling, HTTP and the notifier have stopped (cleanups run in reverse),
      // before the connections close: the last usage counts are written.
      const theBot = bot;
      cleanups.push(["bot usage counters", () => theBot.stopUsage()]);
    }

    const webhook =
      bot && config.telegram.mode === "webhook" && config.telegram.enabled
        ? webhookReceiver(
            bot,
            sql,
            {
              path: config.telegram.webhookPath ?? "/",
              secret: config.telegram.webhookSecret ?? "",
            },
            logger,
          )
        : undefined;

    const http = await startHttpServer({
      port: config.port,
      logger,
      metrics,
      webhook,
      health: async () => {
        const parts: Record<string, PartHealth> = {};
        try {
          await Promise.race([
            sql`SELECT 1`,
            new Promise((_, reject) =>
              setTimeout(() => reject(new Error("no answer in 2 s")), 2_000).unref(),
            ),
          ]);
          parts.database = "ok";
        } catch (error) {
          parts.database = { error: error instanceof Error ? error.message : String(error) };
        }
        if (notifier) {
          const h = notifier.health();
          parts.listener = h.fatal
            ? { error: h.fatal }
            : h.listening
              ? "ok"
              : { error: "not listening (reconnecting)" };
        }
        if (bot) {
          if (!config.telegram.enabled) parts.bot = "disabled";
          else if (config.telegram.mode === "webhook") parts.bot = "ok";
          else parts.bot = leader?.state() === "leader" ? "ok" : "standby";
        }
        return parts;
      },
    });
    cleanups.push([
      "HTTP",
      () => {
        http.closeAllConnections();
        return new Promise<void>((resolve) => http.close(() => resolve()));
      },
    ]);
    logger.info(
      `HTTP on port ${config.port}: /healthz, /metrics${webhook ? `, webhook at ${webhook.path}` : ""}`,
    );

    if (notifier) {
      await notifier.start();
      cleanups.push(["notifier", () => notifier.stop({ timeoutMs: 2_500 })]);
    }
    if (bot && config.telegram.enabled) {
      if (config.telegram.mode === "polling") {
        const theBot = bot;
        leader = startPollingLeader({
          databaseUrl: database.url,
          logger,
          startPolling: async () => {
            await theBot.api.deleteWebhook().catch(() => {});
            const handle = runBot(theBot, { logger });
            return { stop: () => handle.stop() };
          },
        });
        const l = leader;
        cleanups.push(["polling", () => l.stop()]);
      }
    } else if (bot) {
      logger.warn(
        "TELEGRAM_CUSTOMER_BOT_ENABLED=false: not sending or answering anything; events wait in the outbox",
      );
    }
    const retention = startRetention(sql, logger, config.outboxRetentionDays);
    cleanups.push(["retention", () => retention.stop()]);
    logger.info(
      `CompuCar customer bot started (${[runBotPart && "bot", runNotifierPart && "notifier"].filter(Boolean).join(" + ")}, ${config.telegram.mode})`,
    );

    let resolveStopped: () => void = () => {};
    const stopped = new Promise<void>((resolve) => {
      resolveStopped = resolve;
    });
    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        logger.info("stopping: finishing in-flight work");
        const force = setTimeout(() => {
          logger.error(`still stopping after ${SHUTDOWN_TIMEOUT_MS / 1000} s; exiting anyway`);
          process.exit(1);
        }, SHUTDOWN_TIMEOUT_MS);
        force.unref();
        await cleanup();
        clearTimeout(force);
        logger.info("stopped");
        resolveStopped();
      })();
      return stopping;
    };
    if (options.signals !== false) {
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) {
          logger.warn(`${signal} again: exiting now`);
          process.exit(1);
        }
        void stop();
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
      cleanups.unshift([
        "signal handlers",
        () => {
          process.off("SIGTERM", onSignal);
          process.off("SIGINT", onSignal);
        },
      ]);
    }
    return { config, databaseUrl: database.url, http, logger, stop, stopped };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function recordNotifierEvent(metrics: Metrics, event: NotifierEvent): void {
  switch (event.type) {
    case "sent":
      metrics.sent.inc({ kind: event.kind });
      metrics.latency.observe({ kind: event.kind }, event.latencyMs / 1000);
      break;
    case "failed":
      metrics.failed.inc({ kind: event.kind, reason: event.reason });
      break;
    case "skipped":
      metrics.skipped.inc({ kind: event.kind, reason: event.reason });
      break;
    case "retry":
      metrics.retried.inc({ kind: event.kind, reason: event.reason });
      break;
    default:
      break;
  }
}
