import type postgres from "postgres";
import { MUTE_GROUPS, type MuteGroup } from "../vocabulary.ts";

/** The kinds of notification a customer can mute in /settings (src/vocabulary.ts). */
export const MUTABLE_KINDS = MUTE_GROUPS;
export type MutableKind = MuteGroup;

/** What /settings shows of a customer's telegram.chat_prefs row. */
export interface ChatSettings {
  mutedKinds: string[];
  quietHours: boolean;
}

/** The customer's notification settings (nothing muted, no quiet hours without a row). */
export async function readSettings(sql: postgres.Sql, userId: string): Promise<ChatSettings> {
  const [prefs] = await sql<[{ muted_kinds: string[]; quiet_hours_start: number | null }?]>`
    SELECT muted_kinds, quiet_hours_start FROM telegram.chat_prefs WHERE user_id = ${userId}`;
  return { mutedKinds: prefs?.muted_kinds ?? [], quietHours: prefs?.quiet_hours_start != null };
}

/** Mutes `kind` for the customer, or unmutes it when it was muted. */
export async function toggleMutedKind(
  sql: postgres.Sql,
  userId: string,
  kind: MutableKind,
): Promise<void> {
  await sql`
    INSERT INTO telegram.chat_prefs (user_id, muted_kinds) VALUES (${userId}, ARRAY[${kind}])
    ON CONFLICT (user_id) DO UPDATE SET updated_at = now(), muted_kinds =
      CASE WHEN ${kind} = ANY (telegram.chat_prefs.muted_kinds)
           THEN array_remove(telegram.chat_prefs.muted_kinds, ${kind})
           ELSE telegram.chat_prefs.muted_kinds || ${kind}::text END`;
}

/** Turns quiet hours (22:00–07:00 in the customer's time zone) on, or off when they were on. */
export async function toggleQuietHours(sql: postgres.Sql, userId: string): Promise<void> {
  await sql`
    INSERT INTO telegram.chat_prefs (user_id, quiet_hours_start, quiet_hours_end) VALUES (${userId}, 22, 7)
    ON CONFLICT (user_id) DO UPDATE SET updated_at = now(),
      quiet_hours_start = CASE WHEN telegram.chat_prefs.quiet_hours_start IS NULL THEN 22 END,
      quiet_hours_end = CASE WHEN telegram.chat_prefs.quiet_hours_start IS NULL THEN 7 END`;
}

/** Sets the language the bot and the notifications use for the customer (en, fr, ar). */
export async function setLanguage(
  sql: postgres.Sql,
  userId: string,
  language: string,
): Promise<void> {
  await sql`
    INSERT INTO telegram.chat_prefs (user_id, language) VALUES (${userId}, ${language})
    ON CONFLICT (user_id) DO UPDATE SET language = EXCLUDED.language, updated_at = now()`;
}

/** The audit's words for a block, by the part that found out about it. */
const BLOCKED_DETAIL = {
  bot: "the customer blocked the bot",
  notifier: "Telegram: bot was blocked by the user",
} as const;

/** The part that finds out about a block: the bot (my_chat_member) or the notifier (a 403). */
export type BlockWitness = keyof typeof BLOCKED_DETAIL;

/**
 * Records that the customer blocked the bot (telegram.chat_prefs.blocked_at: the notifier
 * skips their events from now on) and audits it (telegram.link_audit, actor `by`), in one
 * transaction.
 */
export function blockChat(sql: postgres.Sql, userId: string, by: BlockWitness): Promise<void> {
  return setBlocked(sql, userId, { action: "block", actor: by, detail: BLOCKED_DETAIL[by] });
}

/**
 * Records that the customer unblocked the bot (notifications resume) and audits it. Only the
 * bot finds out (my_chat_member): actor `bot`.
 */
export function unblockChat(sql: postgres.Sql, userId: string): Promise<void> {
  return setBlocked(sql, userId, {
    action: "unblock",
    actor: "bot",
    detail: "the customer unblocked the bot",
  });
}

/**
 * Forgets a block when the customer links a chat (a block belongs to the chat it was seen
 * on, stored per customer): audited as an unblock by actor `bot`. Run it inside the
 * linking transaction.
 */
export async function clearBlockOnLink(tx: postgres.TransactionSql, userId: string): Promise<void> {
  await tx`
    WITH cleared AS (
      UPDATE telegram.chat_prefs SET blocked_at = NULL, updated_at = now()
       WHERE user_id = ${userId} AND blocked_at IS NOT NULL
      RETURNING user_id)
    INSERT INTO telegram.link_audit (user_id, action, actor, detail)
    SELECT user_id, 'unblock', 'bot', 'a chat was linked: the block of the earlier chat no longer applies'
      FROM cleared`;
}

async function setBlocked(
  sql: postgres.Sql,
  userId: string,
  audit: { action: "block" | "unblock"; actor: BlockWitness; detail: string },
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      INSERT INTO telegram.chat_prefs (user_id, blocked_at)
      VALUES (${userId}, ${audit.action === "block" ? tx`now()` : null})
      ON CONFLICT (user_id) DO UPDATE SET blocked_at = EXCLUDED.blocked_at, updated_at = now()`;
    await tx`
      INSERT INTO telegram.link_audit (user_id, action, actor, detail)
      VALUES (${userId}, ${audit.action}, ${audit.actor}, ${audit.detail})`;
  });
}
