/**
 * The service's notifier side: the operator controls it follows, the sender's lock that
 * lets one instance send, and the notifier itself (src/service.ts wires them).
 */
import { hostname } from "node:os";
import { type ControlsWatch, describeControls, watchControls } from "./controls.ts";
import { recordNotifierEvent } from "./metrics.ts";
import { type NotifierLeader, startNotifierLeader } from "./notifier/leader.ts";
import { createNotifier, type Notifier, type NotifierEvent } from "./notifier/notifier.ts";
import type { Wiring } from "./service.ts";

/** The operator controls (rollout stage, pause), followed from the database (src/controls.ts). */
export async function controlsPart({
  logger,
  database,
  sql,
  shutdown,
}: Wiring): Promise<ControlsWatch> {
  const controls = await watchControls({ sql, databaseUrl: database.directUrl, logger });
  shutdown.add("controls", () => controls.stop());
  const now = controls.current();
  // Someone starting the service should not wonder why a customer hears nothing.
  if (now && (now.stage !== "everyone" || now.pausedAt))
    logger.warn(`controls: ${describeControls(now)} (npm run rollout, npm run notifications)`);
  return controls;
}

/**
 * The notifier under the sender's lock: it runs in one instance at a time, so the send
 * budget is the bot's (src/notifier/leader.ts).
 */
export function senderPart(wiring: Wiring, controls: ControlsWatch): NotifierLeader {
  const { database, sql, logger, metrics } = wiring;
  return startNotifierLeader({
    sql,
    databaseUrl: database.directUrl,
    logger: logger.child({ part: "notifier" }),
    create: () => notifierPart(wiring, controls),
    onChange: (active) => metrics.notifierActive.set(active ? 1 : 0),
  });
}

/** The notifier, not yet started: events from the outbox to Telegram. */
export function notifierPart(
  { config, logger, database, sql, metrics, telegram }: Wiring,
  controls: ControlsWatch,
): Notifier {
  return createNotifier({
    sql,
    databaseUrl: database.directUrl,
    apiRoot: config.telegram.apiRoot,
    token: config.telegram.token,
    chatIds: config.chatIds,
    logger: logger.child({ part: "notifier" }),
    websiteUrl: config.websiteUrl,
    shopTimeZone: config.shopTimeZone,
    maxPerSecond: config.notifyMaxPerSecond,
    concurrency: config.notifyConcurrency,
    enabled: config.telegram.enabled,
    paused: controls.paused,
    workerId: `${hostname()}:${process.pid}`,
    onEvent: (event) => {
      recordNotifierEvent(metrics, event);
      const reached = telegramReached(event);
      if (reached) telegram.record(reached);
    },
  });
}

/** What a notifier event says of Telegram's reachability (undefined: nothing). */
function telegramReached(event: NotifierEvent): "ok" | "unreachable" | undefined {
  if (event.type === "sent" || event.type === "failed") return "ok";
  if (event.type !== "retry") return undefined;
  return event.reason === "network" || /^5\d\d$/.test(event.reason) ? "unreachable" : "ok";
}
