import type { Server } from "node:http";
import { hostname } from "node:os";
import type { Update } from "grammy/types";
import postgres from "postgres";
import { COMMANDS, createBot, runBot, setCommands } from "./bot/bot.ts";
import { type Config, describeConfig, loadConfig } from "./config.ts";
import { type Database, openDatabase } from "./db/database.ts";
import { ensureMigrated } from "./db/migration-check.ts";
import { botHealth, composeHealth, databaseHealth, listenerHealth } from "./health.ts";
import { startHttpServer } from "./http.ts";
import { createLogger, type Logger } from "./log.ts";
import { createMailer } from "./mailer.ts";
import { createMetrics, type Metrics, recordNotifierEvent } from "./metrics.ts";
import { createNotifier } from "./notifier/notifier.ts";
import { type PollingLeader, startPollingLeader } from "./polling.ts";
import { startRetention } from "./retention.ts";
import { createShutdown } from "./shutdown.ts";

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
  const shutdown = createShutdown({ logger });
  shutdown.add("database", () => database.close());
  try {
    await ensureMigrated(database, logger);

    const sql = postgres(database.url, {
      max: 10,
      onnotice: () => {},
      connection: { application_name: "compucar-customer-bot" },
    });
    shutdown.add("database connections", () => sql.end({ timeout: 2 }));
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
      });
      countUpdates(bot, metrics);
      // Runs after polling, HTTP and the notifier have stopped (steps run latest first),
      // before the connections close: the last usage counts are written.
      const theBot = bot;
      shutdown.add("bot usage counters", () => theBot.stopUsage());
    }

    const webhook =
      bot && config.telegram.mode === "webhook" && config.telegram.enabled
        ? webhookReceiver(bot, sql, config, logger)
        : undefined;

    const http = await startHttpServer({
      port: config.port,
      logger,
      metrics,
      webhook,
      health: composeHealth({
        database: databaseHealth(sql),
        listener: notifier && listenerHealth(notifier),
        bot: bot && botHealth(config.telegram, () => leader?.state()),
      }),
    });
    shutdown.add("HTTP", () => {
      http.closeAllConnections();
      return new Promise<void>((resolve) => http.close(() => resolve()));
    });
    logger.info(
      `HTTP on port ${config.port}: /healthz, /metrics${webhook ? `, webhook at ${webhook.path}` : ""}`,
    );

    if (notifier) {
      await notifier.start();
      shutdown.add("notifier", () => notifier.stop({ timeoutMs: 2_500 }));
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
        shutdown.add("polling", () => l.stop());
      }
    } else if (bot) {
      logger.warn(
        "TELEGRAM_CUSTOMER_BOT_ENABLED=false: not sending or answering anything; events wait in the outbox",
      );
    }
    const retention = startRetention(sql, logger, config.outboxRetentionDays);
    shutdown.add("retention", () => retention.stop());
    logger.info(
      `CompuCar customer bot started (${[runBotPart && "bot", runNotifierPart && "notifier"].filter(Boolean).join(" + ")}, ${config.telegram.mode})`,
    );

    if (options.signals !== false) shutdown.handleSignals();
    return {
      config,
      databaseUrl: database.url,
      http,
      logger,
      stop: shutdown.stop,
      stopped: shutdown.stopped,
    };
  } catch (error) {
    await shutdown.unwind();
    throw error;
  }
}

/** Counts updates and commands for /metrics, whichever way updates arrive. */
function countUpdates(bot: CustomerBot, metrics: Metrics): void {
  const handle = bot.handleUpdate.bind(bot);
  bot.handleUpdate = (update, webhookReplyEnvelope) => {
    const type = Object.keys(update).find((k) => k !== "update_id") ?? "unknown";
    metrics.updates.inc({ type });
    const text = update.message?.text;
    if (text?.startsWith("/")) {
      const command = /^\/([a-z_]{1,32})(?:@\w+)?(?:\s|$)/i.exec(text)?.[1]?.toLowerCase();
      const known = (COMMANDS as readonly string[]).includes(command ?? "");
      metrics.commands.inc({ command: known && command ? command : "other" });
    }
    return handle(update, webhookReplyEnvelope);
  };
}

/** Webhook updates: deduplicated on update_id in the database, one chat's updates in order. */
function webhookReceiver(bot: CustomerBot, sql: postgres.Sql, config: Config, logger: Logger) {
  const chains = new Map<number, Promise<void>>();
  let botReady: Promise<void> | undefined;
  return {
    path: config.telegram.webhookPath ?? "/",
    secret: config.telegram.webhookSecret ?? "",
    async claim(updateId: number) {
      const rows = await sql`
        INSERT INTO telegram.webhook_updates (update_id) VALUES (${updateId})
        ON CONFLICT DO NOTHING RETURNING update_id`;
      return rows.length === 1;
    },
    handle(update: Update) {
      botReady ??= bot.init().then(() => setCommands(bot, logger));
      const chat =
        update.message?.chat.id ??
        update.callback_query?.message?.chat.id ??
        update.my_chat_member?.chat.id ??
        update.callback_query?.from.id ??
        0;
      const previous = chains.get(chat) ?? Promise.resolve();
      const next = previous
        .then(() => botReady)
        .then(() => bot.handleUpdate(update))
        .catch((error) =>
          logger.error({ err: error, updateId: update.update_id }, "webhook update failed"),
        )
        .finally(() => {
          if (chains.get(chat) === next) chains.delete(chat);
        });
      chains.set(chat, next);
    },
  };
}
