--! Previous: sha1:d0a94ada22a8ff16e39d9540cbd09e900135d80a
--! Hash: sha1:c99bbc1a3d9806a40adc31455a591fa6315d7a3e
--! Message: lone-event-two-writes

-- A lone event in two writes of the outbox (issue 21). A claim that found one new event
-- wrote its outbox row three times: the ingest's INSERT (pending), the skip step's
-- UPDATE (it found nothing to skip, but paid the statement's set-up all the same) and
-- the lease's UPDATE; the notifier's mark-sent UPDATE was the fourth. Setting up a
-- statement that writes the outbox (its four indexes opened, the CHECK on status parsed,
-- its triggers) is most of a lone claim's CPU (docs/benchmarks.md, "A lone event's
-- claim: where its CPU goes").
--
-- 1. telegram.ingest_settle_lease (new) moves the events of telegram.events and
--    telegram.intake into the outbox in one INSERT, as telegram.ingest_events() did,
--    and writes each row as it ends up after the claim:
--    - skipped, with its reason in last_error, when nobody may be told (given the
--      rollout stage): user deleted, not linked, blocked, not in rollout stage, muted;
--      the reasons, their order and the mute groups are the skip step's;
--    - leased to the claiming worker (locked_until, locked_by, attempts 1) when the
--      claim passes its worker (no other row was pending, notifications not paused)
--      and the rows to be told are no more than least(per customer, limit, scan): the
--      per-customer window over the outbox's pending rows, which are then exactly
--      these, would lease them all (more, and none is leased here: the window runs);
--    - pending otherwise, as before.
--    It returns the rows it wrote. Its plan is generic (plan_cache_mode): with its
--    parameters folded in, a custom plan would be made again at every call.
-- 2. telegram.claim_batch_all: under the claim lock, reads the controls and whether any
--    row is pending (one statement), calls telegram.ingest_settle_lease and returns its
--    skipped rows (skipped_reason set, id NULL) and leased rows in id order, then runs
--    the per-customer window only when rows were pending before or a new row was left
--    pending, and it is not paused. The skip step and the last outbox id before the
--    ingest are gone. A lone event: one INSERT, leased; then the notifier's mark-sent
--    UPDATE; two writes.
-- 3. telegram.ingest_events() (called by hand and by tests) is telegram.ingest_settle_lease
--    without the judging and the lease: every event becomes a pending row, as before.
-- The claim lock, synchronous_commit off, the early-out of claim_batch (000022/000026),
-- the pause (events wait as pending rows), the order of each customer's rows and the
-- doorbell are unchanged.
SET LOCAL lock_timeout = '5s';

CREATE FUNCTION telegram.ingest_settle_lease(p_worker text, p_limit integer, p_per_customer integer,
                                             p_lease_seconds double precision, p_scan integer, p_stage text)
 RETURNS SETOF telegram.outbox
 LANGUAGE sql
 ROWS 1
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
  WITH from_events AS (
    DELETE FROM telegram.events RETURNING *
  ), from_intake AS (
    DELETE FROM telegram.intake RETURNING (e).*
  ), moved AS (
    SELECT * FROM from_events UNION ALL SELECT * FROM from_intake
  ), facts AS (
    SELECT m.*,
           CASE m.source
             WHEN 'file_update' THEN m.old_status IS DISTINCT FROM m.new_status OR coalesce(m.modified_changed, false)
             WHEN 'order_update' THEN m.old_status IS DISTINCT FROM m.new_status AND m.new_status <> 'PENDING'
             ELSE false END AS status_changed,
           m.source = 'file_update' AND m.new_eta IS NOT NULL
             AND (m.old_eta IS DISTINCT FROM m.new_eta OR m.old_eta_set_at IS DISTINCT FROM m.new_eta_set_at) AS eta_changed,
           m.source = 'file_update' AND coalesce(m.comment_changed, false) AND m.comment ~ '[^[:space:]]' AS commented,
           m.source = 'file_update' AND m.new_payment = 'PAID' AND m.old_payment IS DISTINCT FROM m.new_payment AS paid_now,
           m.source = 'order_update' AND m.new_tracking ~ '[^[:space:]]'
             AND m.old_tracking IS DISTINCT FROM m.new_tracking AS tracking_changed,
           m.source = 'order_update' AND m.new_cod IN ('DISPATCHED', 'DELIVERED')
             AND m.old_cod IS DISTINCT FROM m.new_cod AS cod_changed
      FROM moved m
  ), classified AS (
    SELECT f.*,
           CASE f.source
             WHEN 'file_insert' THEN 'file_uploaded'
             WHEN 'payment' THEN 'payment_received'
             WHEN 'file_update' THEN
               CASE WHEN f.status_changed THEN 'file_status' WHEN f.eta_changed THEN 'file_eta'
                    WHEN f.commented THEN 'file_comment' WHEN f.paid_now THEN 'file_paid' END
             WHEN 'order_update' THEN
               CASE WHEN f.status_changed THEN 'order_status'
                    WHEN f.tracking_changed OR f.cod_changed THEN 'order_shipping' END
             WHEN 'test' THEN 'test'
             WHEN 'broadcast' THEN 'broadcast'
           END AS kind
      FROM facts f
  ), judged AS (
    SELECT c.*,
           CASE WHEN p_stage IS NULL THEN NULL
                WHEN u.id IS NULL THEN 'user deleted'
                WHEN u."telegramChatId" IS NULL THEN 'not linked'
                WHEN p.blocked_at IS NOT NULL THEN 'blocked'
                -- 'everyone' asks nothing per row.
                WHEN p_stage <> 'everyone' AND NOT telegram.in_rollout(c.user_id) THEN 'not in rollout stage'
                WHEN CASE WHEN c.kind = 'test' THEN NULL
                          WHEN c.kind = 'broadcast' THEN 'announcements'
                          WHEN c.kind IN ('file_paid', 'payment_received') THEN 'payments'
                          WHEN c.kind LIKE 'order%' THEN 'orders' ELSE 'files' END
                     = ANY (coalesce(p.muted_kinds, '{}')) THEN 'muted'
           END AS skipped_reason
      FROM classified c
      -- One index probe per new row (LIMIT 1 keeps each a nested loop: the intake's
      -- estimate, from its churned pages, would otherwise hash the whole users table).
      LEFT JOIN LATERAL (SELECT u.id, u."telegramChatId" FROM public.users u
                          WHERE p_stage IS NOT NULL AND u.id = c.user_id LIMIT 1) u ON true
      LEFT JOIN LATERAL (SELECT p.blocked_at, p.muted_kinds FROM telegram.chat_prefs p
                          WHERE p_stage IS NOT NULL AND p.user_id = c.user_id LIMIT 1) p ON true
     WHERE c.kind IS NOT NULL
  )
  INSERT INTO telegram.outbox
    (user_id, kind, subject_id, label, status_to, eta_minutes, eta_set_at, comment, tracking_number, cod_status, paid,
     created_at, status, last_error, locked_until, locked_by, attempts)
  SELECT j.user_id, j.kind, j.subject_id, j.label,
         CASE WHEN j.source IN ('file_insert', 'payment') OR j.status_changed THEN j.new_status END,
         CASE WHEN j.eta_changed THEN j.new_eta END,
         CASE WHEN j.eta_changed THEN j.new_eta_set_at END,
         CASE WHEN j.commented OR j.source = 'broadcast' THEN j.comment END,
         CASE WHEN j.tracking_changed THEN j.new_tracking END,
         CASE WHEN j.cod_changed THEN j.new_cod END,
         CASE WHEN j.paid_now THEN true END,
         j.recorded_at,
         CASE WHEN j.skipped_reason IS NULL THEN 'pending' ELSE 'skipped' END,
         j.skipped_reason,
         CASE WHEN a.all_told AND j.skipped_reason IS NULL THEN now() + make_interval(secs => p_lease_seconds) END,
         CASE WHEN a.all_told AND j.skipped_reason IS NULL THEN p_worker END,
         CASE WHEN a.all_told AND j.skipped_reason IS NULL THEN 1 ELSE 0 END
    FROM judged j
    -- Leased: every row told, when they are no more than one customer's share, the
    -- claim's limit and its scan (so the per-customer window would take them all).
    CROSS JOIN (SELECT p_worker IS NOT NULL
                       AND count(*) <= least(p_per_customer, p_limit, p_scan) AS all_told
                  FROM judged WHERE skipped_reason IS NULL) a
   ORDER BY j.recorded_at
  RETURNING *
$function$;
REVOKE EXECUTE ON FUNCTION telegram.ingest_settle_lease(text, integer, integer, double precision, integer, text) FROM PUBLIC;
COMMENT ON FUNCTION telegram.ingest_settle_lease(text, integer, integer, double precision, integer, text) IS 'The claim''s ingest (telegram.claim_batch_all, under the claim lock): moves telegram.events and telegram.intake into telegram.outbox in recorded order; with p_stage (the rollout stage) writes as skipped the rows nobody may be told (reason in last_error); with p_worker leases to it the rows of the others when they are no more than least(p_per_customer, p_limit, p_scan), which the per-customer window would lease all (the caller passes p_worker only when no row was pending and nothing is paused). Returns the rows written.';

CREATE OR REPLACE FUNCTION telegram.ingest_events()
 RETURNS integer
 LANGUAGE sql
AS $function$
  SELECT count(*)::int FROM telegram.ingest_settle_lease(NULL, 0, 0, 0, 0, NULL)
$function$;
COMMENT ON FUNCTION telegram.ingest_events() IS 'Moves telegram.events and telegram.intake into telegram.outbox as pending rows (one message per website change, in recorded order); returns how many. The notifier''s claim ingests with telegram.ingest_settle_lease; safe to call by hand.';

CREATE OR REPLACE FUNCTION telegram.claim_batch_all(p_worker text, p_limit integer, p_per_customer integer, p_lease_seconds double precision, p_scan integer)
 RETURNS TABLE(id text, user_id text, kind text, subject_id text, label text, status_to text, eta_minutes integer, comment text, tracking_number text, cod_status text, paid boolean, attempts integer, created_at timestamp with time zone, first_name text, last_name text, language text, timezone text, chat text, user_exists boolean, muted_kinds text[], language_override text, quiet_start smallint, quiet_end smallint, blocked_at timestamp with time zone, skipped_reason text)
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
DECLARE
  v_stage text;
  v_paused boolean;
  v_pending boolean;
  r record;
BEGIN
  -- Nothing here needs to wait for the WAL flush: if the server crashes before it, the
  -- whole claim is undone (the events go back to telegram.events, the leases vanish) and
  -- is made again; a message already sent may then be sent twice, as after any crash.
  PERFORM set_config('synchronous_commit', 'off', true);
  PERFORM pg_advisory_xact_lock(1952803941, 2);
  -- The operator controls, read once per claim (a missing row counts as the default),
  -- and whether any row waits: read under the claim lock, so no other claim adds one.
  -- (ORDER BY id: the first entry of outbox_pending_idx, whatever the statistics say.)
  SELECT coalesce(c.rollout_stage, 'everyone'), coalesce(c.paused_at IS NOT NULL, false),
         (SELECT o.id FROM telegram.outbox o WHERE o.status = 'pending' ORDER BY o.id LIMIT 1) IS NOT NULL
    INTO v_stage, v_paused, v_pending
    FROM (SELECT) one LEFT JOIN telegram.controls c ON true;

  -- The new events, in order: the skipped, and those leased at once (nothing else was
  -- pending, nothing is paused, and they were few enough for the window to take all).
  -- A new row left pending and free means the window below must run: the first such
  -- row comes too (one, not every row of a large ingest through this loop).
  FOR r IN
    WITH i AS (
      SELECT * FROM telegram.ingest_settle_lease(CASE WHEN v_pending OR v_paused THEN NULL ELSE p_worker END,
                                                 p_limit, p_per_customer, p_lease_seconds, p_scan, v_stage)
    )
    SELECT i.id, i.user_id, i.kind, i.subject_id, i.label, i.status_to, i.eta_minutes, i.comment,
           i.tracking_number, i.cod_status, i.paid, i.attempts, i.created_at, i.status, i.last_error,
           i.locked_by IS NOT NULL AS leased,
           u."firstName"::text AS first_name, u."lastName"::text AS last_name,
           u.language::text AS language, u.timezone::text AS timezone,
           u."telegramChatId"::text AS chat, u.id IS NOT NULL AS user_exists,
           p.muted_kinds, p.language AS language_override, p.quiet_hours_start, p.quiet_hours_end,
           p.blocked_at
      FROM i
      LEFT JOIN public.users u ON i.locked_by IS NOT NULL AND u.id = i.user_id
      LEFT JOIN telegram.chat_prefs p ON i.locked_by IS NOT NULL AND p.user_id = i.user_id
     WHERE i.status = 'skipped' OR i.locked_by IS NOT NULL
        OR i.id = (SELECT min(w.id) FROM i w WHERE w.status = 'pending' AND w.locked_by IS NULL)
     ORDER BY i.id
  LOOP
    IF r.status = 'skipped' THEN
      id := NULL; user_id := NULL; kind := r.kind; subject_id := NULL; label := NULL;
      status_to := NULL; eta_minutes := NULL; comment := NULL; tracking_number := NULL;
      cod_status := NULL; paid := NULL; attempts := NULL; created_at := NULL; first_name := NULL;
      last_name := NULL; language := NULL; timezone := NULL; chat := NULL; user_exists := NULL;
      muted_kinds := NULL; language_override := NULL; quiet_start := NULL; quiet_end := NULL;
      blocked_at := NULL; skipped_reason := r.last_error;
    ELSIF r.leased THEN
      id := r.id::text; user_id := r.user_id; kind := r.kind; subject_id := r.subject_id;
      label := r.label; status_to := r.status_to; eta_minutes := r.eta_minutes;
      comment := r.comment; tracking_number := r.tracking_number; cod_status := r.cod_status;
      paid := r.paid; attempts := r.attempts; created_at := r.created_at;
      first_name := r.first_name; last_name := r.last_name; language := r.language;
      timezone := r.timezone; chat := r.chat; user_exists := r.user_exists;
      muted_kinds := r.muted_kinds; language_override := r.language_override;
      quiet_start := r.quiet_hours_start; quiet_end := r.quiet_hours_end;
      blocked_at := r.blocked_at; skipped_reason := NULL;
    ELSE
      v_pending := true;
      CONTINUE;
    END IF;
    RETURN NEXT;
  END LOOP;

  -- Paused: events join the outbox and wait there; nothing is leased. Nothing pending
  -- before the ingest and no new row left pending: the ingest leased what the window
  -- would have.
  IF v_paused OR NOT v_pending THEN
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
$function$;
COMMENT ON FUNCTION telegram.claim_batch_all(p_worker text, p_limit integer, p_per_customer integer, p_lease_seconds double precision, p_scan integer) IS 'The claim (called by telegram.claim_batch when something may be claimed): ingests events with telegram.ingest_settle_lease (the skipped returned with skipped_reason set; with nothing pending before, nothing paused and few new rows, these leased at once), then, when rows were pending or left pending, leases due rows per customer in order (returned after).';
