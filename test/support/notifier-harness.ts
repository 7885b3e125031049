import { randomBytes } from "node:crypto";
import type { BotApiDouble } from "../../double/bot-api-double.ts";
import { ChatIdCipher } from "../../src/chat-id.ts";
import { createLogger } from "../../src/log.ts";
import {
  createNotifier,
  type Notifier,
  type NotifierEvent,
  type NotifierOptions,
} from "../../src/notifier/notifier.ts";
import type { TestDatabase } from "./database.ts";
import { until } from "./wait.ts";

export const cipher = ChatIdCipher.fromBase64(randomBytes(32).toString("base64"));

/** A notifier on the test database, talking to the double, with short timers. */
export function startNotifier(
  db: TestDatabase,
  telegram: BotApiDouble,
  overrides: Partial<NotifierOptions> = {},
): { notifier: Notifier; events: NotifierEvent[] } {
  const events: NotifierEvent[] = [];
  const notifier = createNotifier({
    sql: db.sql,
    databaseUrl: db.url,
    apiRoot: telegram.url,
    token: telegram.token,
    chatIds: cipher,
    logger: createLogger("silent"),
    websiteUrl: "https://compucar.pro",
    maxPerSecond: 0,
    leaseSeconds: 5,
    slowTimerMs: 200,
    onEvent: (e) => events.push(e),
    ...overrides,
  });
  return { notifier, events };
}

/**
 * Resolves once `notifier` has made two claims after `after` (Date.now() terms). A claim
 * sets health().lastDrainAt, and a drain claims again only when the batches before it have
 * finished sending (a pipelined claim waits for its predecessor at the second claim at the
 * latest), so by then every row this notifier held at `after` has been sent or given back:
 * "nothing more will come from it" made observable.
 */
export async function claimedTwiceAfter(notifier: Notifier, after: number): Promise<void> {
  const claimAfter = (t: number) =>
    until(() => {
      const at = notifier.health().lastDrainAt?.getTime() ?? 0;
      return at > t ? at : 0;
    });
  await claimAfter(await claimAfter(after));
}
