/**
 * The service's wiring: which parts run, in which order they start, and the shutdown
 * step of each. The parts live in their own modules (bot/, notifier/, http.ts,
 * health.ts, polling.ts, retention.ts, shutdown.ts, db/).
 */
import type { Server } from "node:http";
import { Api } from "grammy";
import postgres from "postgres";
import { type CustomerBot, createBot, setCommands } from "./bot/bot.ts";
import { setProfile } from "./bot/profile.ts";
import { webhookReceiver } from "./bot/webhook.ts";
import { compileCache } from "./compile-cache.ts";
import {
  type Config,
  describeConfig,
  LINK_VERIFICATION_NONE_WARNING,
  loadConfig,
} from "./config.ts";
import { checkSessionConnection, type Database, openDatabase } from "./db/database.ts";
import { ensureMigrated } from "./db/migration-check.ts";
import {
  backlogHealth,
  botHealth,
  composeHealth,
  controlsHealth,
  currentListenerHealth,
  databaseHealth,
  type PartChecks,
  probeTelegram,
  schemaHealth,
  senderHealth,
  switchOverHealth,
  type TelegramWatch,
  watchTelegram,
} from "./health.ts";
import { startHttpServer, type WebhookOptions } from "./http.ts";
import { createLogger, type Logger } from "./log.ts";
import { createMailer } from "./mailer.ts";
import { createMetrics, type Metrics, watchControlGauges, watchParts } from "./metrics.ts";
import type { NotifierLeader } from "./notifier/leader.ts";
import {
  type PollingLeader,
  pollUpdates,
  startPollingLeader,
  type UpdatesPoller,
} from "./polling.ts";
import { startRetention } from "./retention.ts";
import { controlsPart, notifierPart, senderPart } from "./service-notifier.ts";
import { createShutdown, type Shutdown } from "./shutdown.ts";
import { createStatusRoute } from "./status/route.ts";
import {
  removeWebhook,
  type WebhookWatch,
  warnOfPlaintextWrites,
  watchWebhook,
} from "./switch-over.ts";

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

/** What every part is built from; each part adds its own step to `shutdown`. */
export interface Wiring {
  readonly config: Config;
  readonly logger: Logger;
  readonly database: Database;
  readonly sql: postgres.Sql;
  readonly metrics: Metrics;
  readonly shutdown: Shutdown;
  /** What the parts last learned of Telegram's reachability. */
  readonly telegram: TelegramWatch;
}

/** `npm start`: runs until SIGTERM/SIGINT; returns the exit code. */
export async function runService(options: ServiceOptions = {}): Promise<number> {
  const service = await startService(options);
  await service.stopped;
  return 0;
}

/**
 * Starts the service: database (embedded when DATABASE_URL is unset), migrations check,
 * notifier, bot (long polling under a leader lock, or webhook), HTTP (/healthz, /metrics,
 * webhook path), retention. A part that fails to start stops the ones started before it.
 */
export async function startService(options: ServiceOptions = {}): Promise<Service> {
  const config = loadConfig(options.env, { demo: options.demo });
  const logger = options.logger ?? createLogger(config.logLevel, { secrets: config.secrets });
  logger.debug({ config: describeConfig(config) }, "configuration");
  const cache = compileCache();
  if (cache.state === "failed")
    logger.warn(
      `compile cache off: ${cache.reason} (each start compiles the packages again; NODE_COMPILE_CACHE names a writable folder, NODE_DISABLE_COMPILE_CACHE=1 turns it off)`,
    );

  const database: Database = await openDatabase(config.databaseUrl, logger, {
    directUrl: config.databaseDirectUrl,
  });
  const shutdown = createShutdown({ logger });
  shutdown.add("database", () => database.close());
  try {
    // Independent checks, each on its own connection: side by side, not one after the other.
    await Promise.all([
      ensureMigrated(database, logger),
      checkSessionConnection(
        database,
        logger,
        config.databaseDirectUrl ? "DATABASE_DIRECT_URL" : "DATABASE_URL",
      ),
    ]);
    const sql = postgres(database.url, {
      max: 10,
      onnotice: () => {},
      connection: { application_name: "compucar-customer-bot" },
    });
    shutdown.add("database connections", () => sql.end({ timeout: 2 }));
    const metrics = createMetrics(sql);
    const telegram = watchTelegram();
    const http = await startParts(
      { config, logger, database, sql, metrics, shutdown, telegram },
      options,
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

/**
 * Starts the parts in the order they stop in reverse: the bot's counters, HTTP, the
 * notifier, polling, retention. Returns the HTTP server.
 */
async function startParts(wiring: Wiring, options: ServiceOptions): Promise<Server> {
  const { config, logger, sql, shutdown } = wiring;
  const runBotPart = options.only !== "notifier";
  const runNotifierPart = options.only !== "bot";
  const controls = await controlsPart(wiring);
  // With the kill switch off the notifier sends nothing: it does not take the sender's lock.
  const notifier =
    runNotifierPart && !config.telegram.enabled ? notifierPart(wiring, controls) : undefined;
  let sender: NotifierLeader | undefined;
  const currentNotifier = () => sender?.current() ?? notifier;
  const senderState = () => sender?.state() ?? (notifier ? "disabled" : "standby");
  // On resume the notifier goes at once (the database also rings it).
  controls.onChange((now, before) => {
    if (before.pausedAt && !now.pausedAt) currentNotifier()?.drainNow();
  });
  const bot = runBotPart ? botPart(wiring) : undefined;
  let updates: Updates | undefined;
  const webhookWatch = config.telegram.enabled ? webhookPart(wiring) : undefined;
  void warnOfPlaintextWrites(sql, logger);

  const webhook =
    bot && config.telegram.mode === "webhook" && config.telegram.enabled
      ? webhookReceiver(
          bot,
          sql,
          { path: config.telegram.webhookPath ?? "/", secret: config.telegram.webhookSecret ?? "" },
          logger,
        )
      : undefined;

  const reachable = databaseHealth(sql, { logger });
  const checks = {
    database: schemaHealth(sql, reachable),
    listener: runNotifierPart ? currentListenerHealth(currentNotifier, senderState) : undefined,
    notifier: runNotifierPart ? senderHealth(senderState) : undefined,
    bot:
      bot &&
      botHealth(
        config.telegram,
        () => updates?.leader?.state(),
        () => updates?.poller()?.state(),
      ),
    telegram: config.telegram.enabled ? wiring.telegram.check : () => "disabled" as const,
    backlog: runNotifierPart ? backlogHealth(sql) : undefined,
    switch_over: switchOverHealth(sql, () => webhookWatch?.foreign()),
    controls: controlsHealth(controls.current),
  };
  const http = await httpPart(wiring, webhook, checks);
  watchControlGauges(wiring.metrics, controls.current);
  watchParts(wiring.metrics, async () => {
    const [database, listener, poller] = await Promise.all([
      reachable(),
      checks.listener?.(),
      checks.bot?.(),
    ]);
    return {
      database: database === "ok",
      listener: listener === "ok",
      telegram: wiring.telegram.state() === "ok",
      poller: poller === "ok",
      notifier: runNotifierPart && config.telegram.enabled && !currentNotifier()?.health().fatal,
    };
  });
  if (config.telegram.enabled) telegramProbe(wiring);
  if (notifier) {
    await notifier.start();
    shutdown.add("notifier", () => notifier.stop({ timeoutMs: 2_500 }));
  }
  if (runNotifierPart && config.telegram.enabled) {
    const leader = senderPart(wiring, controls);
    sender = leader;
    shutdown.add("notifier", () => leader.stop());
  }
  if (bot) updates = updatesPart(wiring, bot, webhookWatch);
  if (bot && config.telegram.enabled) void setProfile(bot.api, logger);
  // Polling's leader looks when it starts (and removes it); anyone else looks now.
  if (!(bot && config.telegram.mode === "polling")) void webhookWatch?.check();
  const retention = startRetention(sql, logger, config.outboxRetentionDays);
  shutdown.add("retention", () => retention.stop());
  logger.info(
    `CompuCar customer bot started (${[runBotPart && "bot", runNotifierPart && "notifier"].filter(Boolean).join(" + ")}, ${config.telegram.mode})`,
  );
  return http;
}

/** A getMe now and then, when no part has called Telegram lately (see probeTelegram). */
function telegramProbe({ config, telegram, shutdown }: Wiring): void {
  const api = new Api(config.telegram.token, { apiRoot: config.telegram.apiRoot });
  const probe = probeTelegram(telegram, (signal) =>
    api.getMe(signal as unknown as Parameters<typeof api.getMe>[0]),
  );
  shutdown.add("Telegram probe", () => probe.stop());
}

/** Telegram's webhook, checked every 5 minutes: a URL not ours is logged and reported. */
function webhookPart({ config, logger, metrics, shutdown }: Wiring): WebhookWatch {
  const api = new Api(config.telegram.token, { apiRoot: config.telegram.apiRoot });
  const watch = watchWebhook(
    async () => (await api.getWebhookInfo()).url,
    config.telegram,
    logger,
    {
      onChange: (foreign) => metrics.foreignWebhook.set(foreign ? 1 : 0),
    },
  );
  shutdown.add("webhook watch", () => watch.stop());
  return watch;
}

/** The bot, not yet receiving updates; its usage counters are written when it stops. */
function botPart({ config, logger, sql, metrics, shutdown }: Wiring): CustomerBot {
  const bot = createBot({
    token: config.telegram.token,
    apiRoot: config.telegram.apiRoot,
    sql,
    chatIds: config.chatIds,
    logger: logger.child({ part: "bot" }),
    websiteUrl: config.websiteUrl,
    shopTimeZone: config.shopTimeZone,
    linkVerification: config.linkVerification,
    mailer: config.smtp ? createMailer(config.smtp) : undefined,
    support: config.support,
    enabled: config.telegram.enabled,
    metrics,
  });
  if (config.linkVerification === "none") logger.warn(LINK_VERIFICATION_NONE_WARNING);
  // Runs after polling, HTTP and the notifier have stopped (steps run latest first),
  // before the connections close: the last usage counts are written.
  shutdown.add("bot usage counters", () => bot.stopUsage());
  return bot;
}

/** HTTP: /healthz (from the parts' checks), /metrics and, in webhook mode, the webhook. */
async function httpPart(
  { config, logger, metrics, shutdown, sql }: Wiring,
  webhook: WebhookOptions | undefined,
  parts: PartChecks,
): Promise<Server> {
  const health = composeHealth(parts);
  const http = await startHttpServer({
    port: config.port,
    host: config.host,
    logger,
    metrics,
    webhook,
    health,
    status: config.statusPassword
      ? createStatusRoute({ sql, password: config.statusPassword, health })
      : undefined,
  });
  shutdown.add("HTTP", () => {
    http.closeAllConnections();
    return new Promise<void>((resolve) => http.close(() => resolve()));
  });
  logger.info(
    `HTTP on ${config.host} port ${config.port}: /healthz, /metrics${config.statusPassword ? ", /status" : ""}${webhook ? `, webhook at ${webhook.path}` : ""}`,
  );
  return http;
}

/** How updates come in polling mode: the leader lock, and the poller while it leads. */
interface Updates {
  readonly leader: PollingLeader;
  poller(): UpdatesPoller | undefined;
}

/**
 * How the bot gets its updates: in polling mode, long polling under the leader lock
 * (returned); in webhook mode through HTTP (nothing to start); with the kill switch
 * off, not at all.
 */
function updatesPart(
  { config, logger, database, shutdown, telegram }: Wiring,
  bot: CustomerBot,
  webhook: WebhookWatch | undefined,
): Updates | undefined {
  if (!config.telegram.enabled) {
    logger.warn(
      "TELEGRAM_CUSTOMER_BOT_ENABLED=false: not sending or answering anything; events wait in the outbox",
    );
    return undefined;
  }
  if (config.telegram.mode !== "polling") return undefined;
  let poller: UpdatesPoller | undefined;
  const leader = startPollingLeader({
    databaseUrl: database.directUrl,
    logger,
    startPolling: async () => {
      await removeWebhook(bot.api, logger);
      void webhook?.check();
      void setCommands(bot, logger);
      const current = pollUpdates(bot, {
        logger,
        onOutcome: (state) => {
          telegram.record(state === "unreachable" || state === "unauthorized" ? state : "ok");
          // A 409 may be a webhook set since (the website's setup script): name it; and
          // once polling works again, see that it is gone.
          if (state === "conflict" || (state === "ok" && webhook?.foreign())) void webhook?.check();
        },
      });
      poller = current;
      return {
        stop: async () => {
          if (poller === current) poller = undefined;
          await current.stop();
        },
      };
    },
  });
  shutdown.add("polling", () => leader.stop());
  return { leader, poller: () => poller };
}
