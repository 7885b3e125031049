--! Previous: sha1:cf85302d31b4b6d624e5788b7334fd6f3fcb4d1e
--! Hash: sha1:64f55b66dc1d0723d3841d4d5563e097e8fe4ec6
--! Message: rollout-and-pause

-- Operator controls at work (issue 18 items 1 and 2), on 000017's telegram.controls.
SET LOCAL lock_timeout = '5s';

-- The claim reads the controls once:
-- - rollout stage: an event of a customer the stage leaves out (telegram.in_rollout) is
--   settled as skipped, last_error 'not in rollout stage', when it joins the outbox
--   (after 'user deleted', 'not linked', 'blocked'; before 'muted'). Stage 'everyone'
--   calls nothing per row. Events already in the outbox keep their fate: a stage change
--   applies to the events recorded after it.
-- - paused (paused_at set): events still join the outbox (and those nobody is told about
--   are settled), but nothing is leased; on resume they go out in order.
-- The same function as 000011 otherwise.

CREATE OR REPLACE FUNCTION telegram.claim_batch(p_worker text, p_limit integer, p_per_customer integer, p_lease_seconds double precision, p_scan integer)
 RETURNS TABLE(id text, user_id text, kind text, subject_id text, label text, status_to text, eta_minutes integer, comment text, tracking_number text, cod_status text, paid boolean, attempts integer, created_at timestamp with time zone, first_name text, last_name text, language text, timezone text, chat text, user_exists boolean, muted_kinds text[], language_override text, quiet_start smallint, quiet_end smallint, blocked_at timestamp with time zone, skipped_reason text)
 LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  v_last bigint;
  v_stage text;
  v_paused boolean;
BEGIN
  -- Nothing here needs to wait for the WAL flush: if the server crashes before it, the
  -- whole claim is undone (the events go back to telegram.events, the leases vanish) and
  -- is made again; a message already sent may then be sent twice, as after any crash.
  PERFORM set_config('synchronous_commit', 'off', true);
  PERFORM pg_advisory_xact_lock(1952803941, 2);
  SELECT coalesce(max(o.id), 0) INTO v_last FROM telegram.outbox o;
  PERFORM telegram.ingest_events();
  -- The operator controls, read once per claim (a missing row counts as the default).
  SELECT c.rollout_stage, c.paused_at IS NOT NULL INTO v_stage, v_paused FROM telegram.controls c;
  v_stage := coalesce(v_stage, 'everyone');

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
                   CASE WHEN b.kind IN ('file_paid', 'payment_received') THEN 'payments'
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
COMMENT ON FUNCTION telegram.claim_batch(text, integer, integer, double precision, integer) IS
  'The notifier''s claim: ingests events, settles the skipped (returned first, skipped_reason set: user deleted, not linked, blocked, not in rollout stage, muted), leases due rows per customer in order (returned after), none while paused (telegram.controls). Leases expire, so calling it by hand delays those rows by the lease.';

-- Pause: the claim leases nothing until resume. Events wait in the outbox; command
-- replies go on. Already paused: the reason is replaced when one is given.
CREATE FUNCTION telegram.pause_notifications(reason text DEFAULT NULL)
RETURNS TABLE(paused_since timestamptz, paused_reason text, already_paused boolean, waiting integer)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  v_was timestamptz;
BEGIN
  SELECT c.paused_at INTO v_was FROM telegram.controls c FOR UPDATE;
  PERFORM set_config('telegram.audit_detail', coalesce('paused: ' || reason, 'paused'), true);
  UPDATE telegram.controls c
     SET paused_at = coalesce(c.paused_at, now()), paused_reason = coalesce(reason, c.paused_reason);
  RETURN QUERY
  SELECT c.paused_at, c.paused_reason, v_was IS NOT NULL,
         (SELECT count(*)::int FROM telegram.outbox o WHERE o.status = 'pending')
    FROM telegram.controls c;
END
$$;
REVOKE EXECUTE ON FUNCTION telegram.pause_notifications(text) FROM PUBLIC;
COMMENT ON FUNCTION telegram.pause_notifications(text) IS
  'Pauses notifications: running notifiers lease nothing (within a claim) and stop sending (within seconds); events wait in the outbox, command replies go on. Audited in telegram.control_audit. Returns since when, why, whether it was already paused, and the pending rows. Same as UPDATE telegram.controls SET paused_at = now().';

-- Resume: events recorded but not yet in the outbox join it first (settled as a claim
-- settles them), then the pending rows created longer than drop_older_than ago are
-- marked skipped ('dropped on resume (waited longer than …)'), and the notifiers are
-- rung. dry_run: the same steps in a subtransaction rolled back, so the counts are
-- exactly what a resume would do now.
CREATE FUNCTION telegram.resume_notifications(drop_older_than interval DEFAULT NULL, dry_run boolean DEFAULT false)
RETURNS TABLE(resumed boolean, paused_for interval, dropped integer, waiting integer)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  v_paused_at timestamptz;
  v_dropped integer := 0;
  v_waiting integer;
BEGIN
  SELECT c.paused_at INTO v_paused_at FROM telegram.controls c FOR UPDATE;
  IF v_paused_at IS NULL THEN
    RETURN QUERY SELECT false, NULL::interval, 0,
                        (SELECT count(*)::int FROM telegram.outbox o WHERE o.status = 'pending');
    RETURN;
  END IF;
  BEGIN
    PERFORM 1 FROM telegram.claim_batch('resume', 0, 1, 0, 0);
    IF drop_older_than IS NOT NULL THEN
      UPDATE telegram.outbox o
         SET status = 'skipped', locked_until = NULL, locked_by = NULL,
             last_error = format('dropped on resume (waited longer than %s)', drop_older_than)
       WHERE o.status = 'pending' AND o.created_at < now() - drop_older_than
         AND (o.locked_until IS NULL OR o.locked_until < now());
      GET DIAGNOSTICS v_dropped = ROW_COUNT;
    END IF;
    SELECT count(*)::int INTO v_waiting FROM telegram.outbox o WHERE o.status = 'pending';
    IF dry_run THEN
      RAISE EXCEPTION 'dry run' USING ERRCODE = 'TGDRY';
    END IF;
  EXCEPTION WHEN SQLSTATE 'TGDRY' THEN
    RETURN QUERY SELECT false, now() - v_paused_at, v_dropped, v_waiting;
    RETURN;
  END;
  PERFORM set_config('telegram.audit_detail',
    CASE WHEN drop_older_than IS NULL THEN 'resumed'
         ELSE format('resumed; dropped %s events that waited longer than %s', v_dropped, drop_older_than) END,
    true);
  UPDATE telegram.controls c SET paused_at = NULL, paused_reason = NULL;
  PERFORM pg_notify('telegram_outbox', '');
  RETURN QUERY SELECT true, now() - v_paused_at, v_dropped, v_waiting;
END
$$;
REVOKE EXECUTE ON FUNCTION telegram.resume_notifications(interval, boolean) FROM PUBLIC;
COMMENT ON FUNCTION telegram.resume_notifications(interval, boolean) IS
  'Resumes notifications; what waited is delivered in order. drop_older_than: pending rows created longer ago are marked skipped, last_error ''dropped on resume (waited longer than …)''. dry_run: changes nothing, returns the same counts (resumed false). Audited in telegram.control_audit. Returns whether it resumed, how long it was paused, rows dropped and rows still waiting.';
