--! Previous: sha1:6cd11f91ca277e1ce7661812973b4e1e61aeab3e
--! Hash: sha1:c05833cad7796949508afa46c84592a46594994a
--! Message: claim-in-one-call

-- The notifier's claim in one call: one round trip instead of six (BEGIN, the claim
-- lock, the last outbox id, ingest, settle the skipped, lease), which was most of the
-- time between a website COMMIT and the sendMessage at 20 events/s.
--
-- telegram.claim_batch(worker, max rows, rows per customer, lease seconds, rows scanned):
-- under the claim lock (1952803941, 2) it moves new events into the outbox, settles the
-- rows just ingested that nobody is told about (unlinked, muted, blocked, deleted
-- customers), then leases up to `max rows` due rows, oldest first: per customer the
-- first `rows per customer` pending rows, and only while every earlier pending row of
-- that customer is free and due, so a customer's messages never overtake each other.
-- It returns the skipped rows first (skipped_reason set, kind only), then the leased
-- rows with what rendering needs. Safe to call by hand: leases expire. Its transaction
-- commits without waiting for the WAL flush (synchronous_commit off, for it alone).
CREATE FUNCTION telegram.claim_batch(
  p_worker text, p_limit integer, p_per_customer integer, p_lease_seconds double precision,
  p_scan integer
) RETURNS TABLE (
  id text, user_id text, kind text, subject_id text, label text, status_to text,
  eta_minutes integer, comment text, tracking_number text, cod_status text, paid boolean,
  attempts integer, created_at timestamptz, first_name text, last_name text,
  language text, timezone text, chat text, user_exists boolean, muted_kinds text[],
  language_override text, quiet_start smallint, quiet_end smallint,
  blocked_at timestamptz, skipped_reason text
)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  v_last bigint;
BEGIN
  -- Nothing here needs to wait for the WAL flush: if the server crashes before it, the
  -- whole claim is undone (the events go back to telegram.events, the leases vanish) and
  -- is made again; a message already sent may then be sent twice, as after any crash.
  PERFORM set_config('synchronous_commit', 'off', true);
  PERFORM pg_advisory_xact_lock(1952803941, 2);
  SELECT coalesce(max(o.id), 0) INTO v_last FROM telegram.outbox o;
  PERFORM telegram.ingest_events();

  RETURN QUERY
  WITH skipped AS (
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
              FROM telegram.outbox b
              LEFT JOIN public.users u ON u.id = b.user_id
              LEFT JOIN telegram.chat_prefs p ON p.user_id = b.user_id
             WHERE b.id > v_last AND b.status = 'pending') h
     WHERE o.id = h.id
       AND (h.user_exists IS NULL OR h.chat IS NULL OR h.blocked_at IS NOT NULL
            OR h.category = ANY (coalesce(h.muted_kinds, '{}')))
    RETURNING o.kind, o.last_error
  )
  SELECT NULL::text, NULL::text, s.kind, NULL::text, NULL::text, NULL::text, NULL::integer,
         NULL::text, NULL::text, NULL::text, NULL::boolean, NULL::integer, NULL::timestamptz,
         NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::boolean,
         NULL::text[], NULL::text, NULL::smallint, NULL::smallint, NULL::timestamptz,
         s.last_error
    FROM skipped s;

  RETURN QUERY
  WITH head AS (
    SELECT o.id, o.user_id,
           (o.due_at IS NULL OR o.due_at <= now()) AND (o.locked_until IS NULL OR o.locked_until < now()) AS pickable
      FROM telegram.outbox o
     WHERE o.status = 'pending'
     ORDER BY o.id
     LIMIT p_scan
  ), chains AS (
    SELECT h.id, row_number() OVER w AS n, bool_and(h.pickable) OVER w AS open
      FROM head h
    WINDOW w AS (PARTITION BY h.user_id ORDER BY h.id)
  ), chosen AS (
    SELECT c.id FROM chains c
     WHERE c.open AND c.n <= p_per_customer
     ORDER BY c.id
     LIMIT p_limit
  ), leased AS (
    UPDATE telegram.outbox o
       SET locked_until = now() + make_interval(secs => p_lease_seconds),
           locked_by = p_worker, attempts = o.attempts + 1
      FROM chosen c WHERE o.id = c.id
    RETURNING o.*
  )
  SELECT l.id::text, l.user_id, l.kind, l.subject_id, l.label, l.status_to, l.eta_minutes,
         l.comment, l.tracking_number, l.cod_status, l.paid, l.attempts, l.created_at,
         u."firstName", u."lastName", u.language, u.timezone, u."telegramChatId",
         u.id IS NOT NULL, p.muted_kinds, p.language, p.quiet_hours_start, p.quiet_hours_end,
         p.blocked_at, NULL::text
    FROM leased l
    LEFT JOIN public.users u ON u.id = l.user_id
    LEFT JOIN telegram.chat_prefs p ON p.user_id = l.user_id
   ORDER BY l.id;
END
$$;
COMMENT ON FUNCTION telegram.claim_batch(text, integer, integer, double precision, integer) IS
  'The notifier''s claim: ingests events, settles the skipped (returned first, skipped_reason set), leases due rows per customer in order (returned after). Leases expire, so calling it by hand delays those rows by the lease.';
