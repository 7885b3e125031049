--! Previous: sha1:532ff6a8547feafe44f96f68ed8e649b7f1450d4
--! Hash: sha1:835c73b7350df5e2a261e5f4a89d564159103cec
--! Message: claim-in-one-function

-- The claim in one PL/pgSQL function, with fewer statements (issue 21: CPU per message
-- at 20 events/s).
--
-- A lone event's claim cost the claiming backend about 1 ms of CPU against 0.09 ms for
-- SELECT 1 (scripts/bench/claim-probe.ts), and perf shows where: almost none of it is
-- reading or writing rows, nearly all is per-statement work (executor start-up, building
-- expressions and projections, constraint and trigger set-up), paid once per statement
-- whatever the number of rows. The claim ran as claim_batch (000022's check for nothing
-- to claim) calling claim_batch_all through a second RETURN QUERY, with nine statements
-- in all. Now:
--
-- * one function: claim_batch does the check and then the claim itself (claim_batch_all
--   is dropped; nothing else called it), so the rows are no longer copied from one
--   function's result into the other's;
-- * set_config and the claim lock in one statement, the last outbox id and the operator
--   controls in one;
-- * telegram.ingest_events() is assigned, not PERFORMed: PL/pgSQL evaluates a plain
--   function call without running a query around it;
-- * the skip step runs only when the ingest added rows: only this claim's new rows
--   (id > the last id before it) can be skipped, and without new rows there are none.
--
-- What the claim does is unchanged: the same lock, ingest, skip step (with the rollout
-- stage and the category CASE of 000018 and 000021), pause, per-customer window, leases
-- and their expiry, in the same order, with the same arguments and columns.
SET LOCAL lock_timeout = '5s';

CREATE OR REPLACE FUNCTION telegram.claim_batch(p_worker text, p_limit integer, p_per_customer integer, p_lease_seconds double precision, p_scan integer)
 RETURNS TABLE(id text, user_id text, kind text, subject_id text, label text, status_to text, eta_minutes integer, comment text, tracking_number text, cod_status text, paid boolean, attempts integer, created_at timestamp with time zone, first_name text, last_name text, language text, timezone text, chat text, user_exists boolean, muted_kinds text[], language_override text, quiet_start smallint, quiet_end smallint, blocked_at timestamp with time zone, skipped_reason text)
 LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  v_last bigint;
  v_new integer;
  v_stage text;
  v_paused boolean;
BEGIN
  -- Nothing to claim: no new event, and no pending row that is due and free (a retry
  -- come due, a lease run out). Read without the claim lock: an event committed after
  -- this look rings the bell (or is waited for when the notifier takes its ring locks),
  -- and a claim follows.
  IF NOT EXISTS (SELECT FROM telegram.events)
     AND NOT EXISTS (SELECT FROM telegram.outbox o
                      WHERE o.status = 'pending'
                        AND (o.due_at IS NULL OR o.due_at <= now())
                        AND (o.locked_until IS NULL OR o.locked_until < now())) THEN
    RETURN;
  END IF;
  -- Nothing here needs to wait for the WAL flush: if the server crashes before it, the
  -- whole claim is undone (the events go back to telegram.events, the leases vanish) and
  -- is made again; a message already sent may then be sent twice, as after any crash.
  PERFORM set_config('synchronous_commit', 'off', true), pg_advisory_xact_lock(1952803941, 2);
  -- The last row before this claim's, and the operator controls, read once per claim (a
  -- missing row counts as the default).
  SELECT coalesce((SELECT max(o.id) FROM telegram.outbox o), 0), c.rollout_stage, c.paused_at IS NOT NULL
    INTO v_last, v_stage, v_paused
    FROM (SELECT) one LEFT JOIN telegram.controls c ON true;
  v_stage := coalesce(v_stage, 'everyone');
  -- An assignment, not PERFORM: PL/pgSQL calls the function without a query around it.
  v_new := telegram.ingest_events();

  -- Only this claim's new rows can need skipping.
  IF v_new > 0 THEN
    RETURN QUERY
    WITH skipped AS (
      UPDATE telegram.outbox o
         SET status = 'skipped',
             last_error = CASE WHEN h.user_exists IS NULL THEN 'user deleted'
                               WHEN h.chat IS NULL THEN 'not linked'
                               WHEN h.blocked_at IS NOT NULL THEN 'blocked'
                               WHEN h.out_of_stage THEN 'not in rollout stage'
                               ELSE 'muted' END
        FROM (SELECT b.id, u.id IS NOT NULL OR NULL AS user_exists, u."telegramChatId" AS chat,
                     p.blocked_at, p.muted_kinds,
                     CASE WHEN b.kind = 'test' THEN NULL
                          WHEN b.kind = 'broadcast' THEN 'announcements'
                          WHEN b.kind IN ('file_paid', 'payment_received') THEN 'payments'
                          WHEN b.kind LIKE 'order%' THEN 'orders' ELSE 'files' END AS category,
                     -- 'everyone' asks nothing per row.
                     CASE WHEN v_stage = 'everyone' THEN false
                          ELSE NOT telegram.in_rollout(b.user_id) END AS out_of_stage
                FROM telegram.outbox b
                LEFT JOIN public.users u ON u.id = b.user_id
                LEFT JOIN telegram.chat_prefs p ON p.user_id = b.user_id
               WHERE b.id > v_last AND b.status = 'pending') h
       WHERE o.id = h.id
         AND (h.user_exists IS NULL OR h.chat IS NULL OR h.blocked_at IS NOT NULL OR h.out_of_stage
              OR h.category = ANY (coalesce(h.muted_kinds, '{}')))
      RETURNING o.kind, o.last_error
    )
    SELECT NULL::text, NULL::text, s.kind, NULL::text, NULL::text, NULL::text, NULL::integer,
           NULL::text, NULL::text, NULL::text, NULL::boolean, NULL::integer, NULL::timestamptz,
           NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::boolean,
           NULL::text[], NULL::text, NULL::smallint, NULL::smallint, NULL::timestamptz,
           s.last_error
      FROM skipped s;
  END IF;

  -- Paused: events join the outbox and wait there; nothing is leased.
  IF v_paused THEN
    RETURN;
  END IF;

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
         u."firstName"::text, u."lastName"::text, u.language::text, u.timezone::text,
         u."telegramChatId"::text,
         u.id IS NOT NULL, p.muted_kinds, p.language, p.quiet_hours_start, p.quiet_hours_end,
         p.blocked_at, NULL::text
    FROM leased l
    LEFT JOIN public.users u ON u.id = l.user_id
    LEFT JOIN telegram.chat_prefs p ON p.user_id = l.user_id
   ORDER BY l.id;
END
$$;

DROP FUNCTION telegram.claim_batch_all(text, integer, integer, double precision, integer);

COMMENT ON FUNCTION telegram.claim_batch(text, integer, integer, double precision, integer) IS
  'The notifier''s claim: answers nothing at once when nothing may be claimed; else, under the claim lock, ingests events (telegram.ingest_events), settles the skipped (returned first, skipped_reason set), leases due rows per customer in order (returned after). Leases expire, so calling it by hand delays those rows by the lease.';
