/**
 * Switching over from the website's own customer bot (README "Switching over from the
 * website's built-in customer bot"): what shows that it still acts with our token.
 * - Telegram's webhook points at a URL that is not ours (the website's setup script sets
 *   `{domain}/api/telegram/customer`): the website receives the customers' commands.
 * - A plaintext chat id is written to `users` after `encrypt-chat-ids` ran: the website's
 *   `/link` (no proof) linked someone (migration 000016 records each such write).
 * The website's direct `sendMessage` calls cannot be seen from here: Telegram tells no
 * bot what another program sent with its token.
 */
import type postgres from "postgres";
import type { Logger } from "./log.ts";

/** What stops the website's own customer bot (its direct sends and its linker). */
export const WEBSITE_BOT_FIX =
  "remove TELEGRAM_CUSTOMER_BOT_TOKEN from the website's environment (.env.local), set TELEGRAM_CUSTOMER_BOT_ENABLED=false there and restart it with pm2 restart <website app> --update-env";

/** Where this service expects updates: long polling (no webhook), or its webhook URL. */
export interface UpdatesTarget {
  readonly mode: "polling" | "webhook";
  readonly webhookUrl: string | undefined;
}

/** The webhook URL Telegram reports when it is not ours; undefined when it is ours or none. */
export function foreignWebhook(url: string | undefined, target: UpdatesTarget): string | undefined {
  if (!url) return undefined;
  return target.mode === "webhook" && url === target.webhookUrl ? undefined : url;
}

/** One line for an operator: which URL receives our updates, and the fix. */
export function explainForeignWebhook(url: string, target: UpdatesTarget): string {
  const then =
    target.mode === "polling"
      ? "then npm start deletes it (or now: npx tsx scripts/setup-customer-bot-webhook.ts --delete)"
      : "then point it at us: npx tsx scripts/setup-customer-bot-webhook.ts";
  const ours =
    target.mode === "polling"
      ? "which polls (TELEGRAM_MODE=polling)"
      : `whose TELEGRAM_WEBHOOK_URL is ${target.webhookUrl}`;
  return `Telegram's webhook points at ${url}, not at this service, ${ours}: the website's own bot (or another program) receives the customers' commands and links accounts without proof; fix: ${WEBSITE_BOT_FIX}; ${then}`;
}

/** Plaintext chat ids written to users since `encrypt-chat-ids` last ran. */
export interface PlaintextWrites {
  readonly count: number;
  /** When encrypt-chat-ids last finished. */
  readonly since: Date;
  /** The last such write (null when none). */
  readonly last: Date | null;
  /** The roles (or app actors) that wrote them. */
  readonly actors: string[];
}

/**
 * The plaintext chat ids written since `encrypt-chat-ids` last ran (migration 000016);
 * undefined when it never ran (plaintext ids are then the website's, as expected).
 */
export async function readPlaintextWrites(sql: postgres.Sql): Promise<PlaintextWrites | undefined> {
  const [row] = await sql<[{ count: number; since: Date; last: Date | null; actors: string[] }?]>`
    SELECT count(w.at)::int AS count, e.done_at AS since, max(w.at) AS last,
           coalesce(array_agg(DISTINCT w.actor) FILTER (WHERE w.actor IS NOT NULL), '{}') AS actors
      FROM telegram.chat_id_encryption e
      LEFT JOIN telegram.plaintext_chat_id_writes w ON w.at > e.done_at
     GROUP BY e.done_at`;
  return row;
}

/** One line for an operator: how many plaintext chat ids, who wrote them, and the fix. */
export function explainPlaintextWrites(writes: PlaintextWrites): string {
  return `${writes.count} chat id(s) written in plaintext to users since encrypt-chat-ids ran at ${writes.since.toISOString()} (the last at ${writes.last?.toISOString()}, by ${writes.actors.join(", ")}): the website's own linker is still active and links accounts without proof; fix: ${WEBSITE_BOT_FIX}; point Telegram's webhook at this service (npm start in polling mode deletes the website's; in webhook mode npx tsx scripts/setup-customer-bot-webhook.ts); then run npx tsx scripts/encrypt-chat-ids.ts again`;
}

/** Logs the plaintext chat ids written since encryption, if any (at start). */
export async function warnOfPlaintextWrites(sql: postgres.Sql, logger: Logger): Promise<void> {
  const writes = await readPlaintextWrites(sql).catch(() => undefined);
  if (writes && writes.count > 0)
    logger.warn({ plaintextChatIdsWritten: writes.count }, explainPlaintextWrites(writes));
}

/** Telegram's webhook as this service last saw it. */
export interface WebhookWatch {
  /** Asks Telegram now (getWebhookInfo); logs a foreign URL when it first sees it. */
  check(): Promise<void>;
  /** The foreign URL last seen, undefined when the webhook is ours or none (or not known). */
  foreign(): string | undefined;
  stop(): void;
}

/**
 * Asks Telegram for the webhook now and every `everyMs` (defaults to 5 minutes): a URL
 * that is not ours is logged (a warn line naming it and the fix) when first seen, and
 * reported by {@link WebhookWatch.foreign}. A failed call changes nothing (the
 * `telegram` part of /healthz reports reachability). `onChange` hears each new verdict.
 */
export function watchWebhook(
  getWebhookUrl: () => Promise<string | undefined>,
  target: UpdatesTarget,
  logger: Logger,
  options: { everyMs?: number; onChange?: (foreign: string | undefined) => void } = {},
): WebhookWatch {
  let foreign: string | undefined;
  const check = async () => {
    const url = await getWebhookUrl().then(
      (u) => foreignWebhook(u, target) ?? "",
      () => undefined,
    );
    if (url === undefined) return;
    const now = url || undefined;
    if (now === foreign) return;
    if (now) logger.warn({ webhook: now }, explainForeignWebhook(now, target));
    else logger.info(`webhook: Telegram no longer posts updates to ${foreign}`);
    foreign = now;
    options.onChange?.(foreign);
  };
  const timer = setInterval(() => void check(), options.everyMs ?? 300_000);
  timer.unref();
  return { check, foreign: () => foreign, stop: () => clearInterval(timer) };
}

/**
 * Long polling's start: deletes Telegram's webhook, and names it in a warn line when one
 * was set (the website's setup script sets one; it would set it again).
 */
export async function removeWebhook(
  api: { getWebhookInfo(): Promise<{ url?: string }>; deleteWebhook(): Promise<unknown> },
  logger: Logger,
): Promise<void> {
  const info = await api.getWebhookInfo().catch(() => undefined);
  const deleted = await api.deleteWebhook().then(
    () => true,
    () => false,
  );
  if (deleted && info?.url)
    logger.warn(
      { webhook: info.url },
      `polling: removed Telegram's webhook ${info.url}, which received the customers' commands (the website's own bot?); so it stays removed: ${WEBSITE_BOT_FIX}`,
    );
}
