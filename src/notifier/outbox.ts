import type postgres from "postgres";

/** Advisory lock ('tele', 2) serializing claims: one notifier ingests and picks at a time. */
const CLAIM_LOCK = [1952803941, 2] as const;

/** A claimed outbox row joined with the customer's account and preferences. */
export interface ClaimedRow {
  id: string;
  user_id: string;
  kind: string;
  subject_id: string;
  label: string | null;
  status_to: string | null;
  eta_minutes: number | null;
  comment: string | null;
  tracking_number: string | null;
  cod_status: string | null;
  paid: boolean | null;
  attempts: number;
  created_at: Date;
  first_name: string | null;
  last_name: string | null;
  language: string | null;
  timezone: string | null;
  chat: string | null;
  user_exists: boolean;
  muted_kinds: string[] | null;
  language_override: string | null;
  quiet_start: number | null;
  quiet_end: number | null;
  blocked_at: Date | null;
}

/**
 * In one transaction, under the claim lock: moves new events into the outbox, then
 * leases up to `limit` due rows, at most one per customer and only a customer's oldest
 * pending row, so a customer's messages never overtake each other, even across
 * notifier processes. A lease that is not settled expires and the row is claimed again.
 */
export async function claimDue(
  sql: postgres.Sql,
  options: { workerId: string; limit: number; leaseSeconds: number; scan?: number },
): Promise<{ rows: ClaimedRow[]; skipped: Array<{ kind: string; reason: string }> }> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${CLAIM_LOCK[0]}, ${CLAIM_LOCK[1]})`;
    await tx`SELECT telegram.ingest_events()`;
    // Events nobody is told about are settled in bulk, before any per-customer picking.
    const skipped = await tx<Array<{ kind: string; reason: string }>>`
      UPDATE telegram.outbox o
         SET status = 'skipped',
             last_error = CASE WHEN h.user_exists IS NULL THEN 'user deleted'
                               WHEN h.chat IS NULL THEN 'not linked'
                               WHEN h.blocked_at IS NOT NULL THEN 'blocked'
                               ELSE 'muted' END
        FROM (SELECT b.id, u.id IS NOT NULL OR NULL AS user_exists, u."telegramChatId" AS chat,
                     p.blocked_at, p.muted_kinds,
                     CASE WHEN b.kind IN ('file_paid', 'payment_received') THEN 'payments'
                          WHEN b.kind LIKE 'order%' THEN 'orders' ELSE 'files' END AS category
                FROM (SELECT id, user_id, kind FROM telegram.outbox WHERE status = 'pending'
                       ORDER BY id LIMIT ${options.scan ?? 5000}) b
                LEFT JOIN public.users u ON u.id = b.user_id
                LEFT JOIN telegram.chat_prefs p ON p.user_id = b.user_id) h
       WHERE o.id = h.id
         AND (h.user_exists IS NULL OR h.chat IS NULL OR h.blocked_at IS NOT NULL
              OR h.category = ANY (coalesce(h.muted_kinds, '{}')))
      RETURNING o.kind, o.last_error AS reason`;
    const rows = await tx<ClaimedRow[]>`
      WITH head AS (
        SELECT id, user_id,
               (due_at IS NULL OR due_at <= now()) AND (locked_until IS NULL OR locked_until < now()) AS pickable
          FROM telegram.outbox
         WHERE status = 'pending'
         ORDER BY id
         LIMIT ${options.scan ?? 5000}
      ), firsts AS (
        SELECT id FROM (
          SELECT id, pickable, row_number() OVER (PARTITION BY user_id ORDER BY id) AS n FROM head
        ) h
         WHERE n = 1 AND pickable
         ORDER BY id
         LIMIT ${options.limit}
      ), locked AS (
        SELECT o.id FROM telegram.outbox o JOIN firsts f ON f.id = o.id
           FOR UPDATE OF o SKIP LOCKED
      ), leased AS (
        UPDATE telegram.outbox o
           SET locked_until = now() + make_interval(secs => ${options.leaseSeconds}),
               locked_by = ${options.workerId}, attempts = o.attempts + 1
          FROM locked l WHERE o.id = l.id
        RETURNING o.*
      )
      SELECT l.id::text AS id, l.user_id, l.kind, l.subject_id, l.label, l.status_to, l.eta_minutes,
             l.comment, l.tracking_number, l.cod_status, l.paid, l.attempts, l.created_at,
             u."firstName" AS first_name, u."lastName" AS last_name, u.language, u.timezone,
             u."telegramChatId" AS chat, u.id IS NOT NULL AS user_exists,
             p.muted_kinds, p.language AS language_override, p.quiet_hours_start AS quiet_start,
             p.quiet_hours_end AS quiet_end, p.blocked_at
        FROM leased l
        LEFT JOIN public.users u ON u.id = l.user_id
        LEFT JOIN telegram.chat_prefs p ON p.user_id = l.user_id
       ORDER BY l.id`;
    return { rows: [...rows], skipped: [...skipped] };
  });
}

/** Telegram accepted the message. */
export async function markSent(sql: postgres.Sql, id: string, messageId: number): Promise<void> {
  await sql`
    UPDATE telegram.outbox
       SET status = 'sent', sent_at = now(), telegram_message_id = ${messageId},
           locked_until = NULL, locked_by = NULL, last_error = NULL
     WHERE id = ${id}`;
}

/** Given up for good (blocked, chat not found, unparsable, too old). */
export async function markFailed(sql: postgres.Sql, id: string, reason: string): Promise<void> {
  await sql`
    UPDATE telegram.outbox
       SET status = 'failed', last_error = ${reason}, locked_until = NULL, locked_by = NULL
     WHERE id = ${id}`;
}

/** Not sent on purpose: not linked, muted, blocked, user deleted. */
export async function markSkipped(sql: postgres.Sql, id: string, reason: string): Promise<void> {
  await sql`
    UPDATE telegram.outbox
       SET status = 'skipped', last_error = ${reason}, locked_until = NULL, locked_by = NULL
     WHERE id = ${id}`;
}

/** A transient failure: due again after `delayMs`; the customer's later rows wait behind it. */
export async function retryLater(
  sql: postgres.Sql,
  id: string,
  reason: string,
  delayMs: number,
): Promise<void> {
  await sql`
    UPDATE telegram.outbox
       SET due_at = now() + make_interval(secs => ${delayMs / 1000}), last_error = ${reason},
           locked_until = NULL, locked_by = NULL
     WHERE id = ${id}`;
}

/** The customer blocked the bot: remember it (no more sends) and audit it. */
export async function markBlocked(sql: postgres.Sql, userId: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      INSERT INTO telegram.chat_prefs (user_id, blocked_at) VALUES (${userId}, now())
      ON CONFLICT (user_id) DO UPDATE SET blocked_at = now(), updated_at = now()`;
    await tx`
      INSERT INTO telegram.link_audit (user_id, action, actor, detail)
      VALUES (${userId}, 'block', 'notifier', 'Telegram: bot was blocked by the user')`;
  });
}
