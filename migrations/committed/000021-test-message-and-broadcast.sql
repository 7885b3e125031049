--! Previous: sha1:d7de42d55ad9eb9bc9c078cc56b8dd7637b6f24a
--! Hash: sha1:44402067ab2693b0cd47ea2ccf15abacbdb5b274
--! Message: test-message-and-broadcast

-- Operator messages (issue 18 items 4 and 6): a test message to the operator's own
-- account and a maintenance broadcast to every linked customer. Both enter as events
-- (telegram.events, like the website's writes), so the doorbell, the claim, the pause,
-- the rollout stage, quiet hours and the send rate treat them like any other message.
SET LOCAL lock_timeout = '5s';

-- One row per broadcast; its outbox rows have kind 'broadcast' and subject_id = id.
CREATE TABLE telegram.broadcasts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  texts jsonb NOT NULL CHECK (jsonb_typeof(texts -> 'en') = 'string'),
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  recipients integer NOT NULL DEFAULT 0
);
COMMENT ON TABLE telegram.broadcasts IS
  'Maintenance broadcasts (telegram.broadcast()): the text per language (en required; a customer gets theirs, else English), who sent it, and how many customers it was queued for (outbox kind ''broadcast'', subject_id = id).';

COMMENT ON COLUMN telegram.chat_prefs.muted_kinds IS 'any of: files, orders, payments, announcements';
COMMENT ON COLUMN telegram.outbox.kind IS
  'file_uploaded, file_status, file_eta, file_comment, file_paid, order_status, order_shipping, payment_received; test (scripts/test-message.ts), broadcast (telegram.broadcast(), comment holds its texts as JSON)';

-- The website's kinds as before, plus the operators' 'test' and 'broadcast' (whose
-- texts, as JSON, ride in comment).
CREATE OR REPLACE FUNCTION telegram.ingest_events() RETURNS integer
LANGUAGE sql
AS $$
  WITH moved AS (
    DELETE FROM telegram.events RETURNING *
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
  ), inserted AS (
    INSERT INTO telegram.outbox
      (user_id, kind, subject_id, label, status_to, eta_minutes, eta_set_at, comment, tracking_number, cod_status, paid, created_at)
    SELECT c.user_id, c.kind, c.subject_id, c.label,
           CASE WHEN c.source IN ('file_insert', 'payment') OR c.status_changed THEN c.new_status END,
           CASE WHEN c.eta_changed THEN c.new_eta END,
           CASE WHEN c.eta_changed THEN c.new_eta_set_at END,
           CASE WHEN c.commented OR c.source = 'broadcast' THEN c.comment END,
           CASE WHEN c.tracking_changed THEN c.new_tracking END,
           CASE WHEN c.cod_changed THEN c.new_cod END,
           CASE WHEN c.paid_now THEN true END,
           c.recorded_at
      FROM classified c
     WHERE c.kind IS NOT NULL
     ORDER BY c.recorded_at
    RETURNING 1
  )
  SELECT count(*)::int FROM inserted
$$;

-- The claim as 000018 left it (rollout stage, pause); only the muted category changes:
-- a broadcast is muted with 'announcements', a test message never (it goes to the
-- operator's own account).
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

-- A test message to the account with this email (any case), recorded as the website
-- records its events: the notifier's doorbell rings. Returns the outbox row's subject_id,
-- by which scripts/test-message.ts follows it.
CREATE FUNCTION telegram.record_test_message(p_email text) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v telegram.events;
BEGIN
  SELECT u.id INTO v.user_id FROM public.users u WHERE lower(u.email) = lower(trim(p_email)) LIMIT 1;
  IF v.user_id IS NULL THEN
    RAISE EXCEPTION 'no account with email %', p_email USING ERRCODE = 'no_data_found';
  END IF;
  v.source := 'test';
  v.subject_id := 'test-' || gen_random_uuid()::text;
  PERFORM telegram.record_event(v);
  RETURN v.subject_id;
END
$$;
REVOKE EXECUTE ON FUNCTION telegram.record_test_message(text) FROM PUBLIC;
COMMENT ON FUNCTION telegram.record_test_message(text) IS
  'Records a test message (outbox kind ''test'') to the account with this email, as the website records events; returns its subject_id. Never muted by the customer''s settings; waits for the pause and the rollout stage like any message. scripts/test-message.ts follows it to Telegram.';

-- The language a customer is notified in, as src/format.ts customerLocale() decides it
-- without Telegram's language_code: their /settings choice, else the website's
-- users.language once changed from its default 'en', else English.
CREATE FUNCTION telegram.customer_locale(p_settings text, p_website text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(
    (SELECT l FROM (VALUES (1, lower(left(trim(p_settings), 2))),
                           (2, CASE WHEN p_website <> 'en' THEN lower(left(trim(p_website), 2)) END)) c(n, l)
      WHERE l IN ('en', 'fr', 'ar') ORDER BY n LIMIT 1),
    'en')
$$;
REVOKE EXECUTE ON FUNCTION telegram.customer_locale(text, text) FROM PUBLIC;

-- Who a broadcast reaches now, with the language of the text each one gets.
CREATE FUNCTION telegram.broadcast_recipients(p_texts jsonb)
RETURNS TABLE(user_id text, language text, text_language text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT u.id, l.locale, CASE WHEN p_texts ? l.locale THEN l.locale ELSE 'en' END
    FROM public.users u
    LEFT JOIN telegram.chat_prefs p ON p.user_id = u.id
    CROSS JOIN LATERAL (SELECT telegram.customer_locale(p.language, u.language::text) AS locale) l
   WHERE u."telegramChatId" IS NOT NULL
     AND p.blocked_at IS NULL
     AND NOT ('announcements' = ANY (coalesce(p.muted_kinds, '{}')))
     AND telegram.in_rollout(u.id)
$$;
REVOKE EXECUTE ON FUNCTION telegram.broadcast_recipients(jsonb) FROM PUBLIC;

-- A maintenance broadcast: p_texts is {"en": "...", "fr": "...", "ar": "..."} (en
-- required). Dry run: the recipients by language, nothing written. Otherwise, in one
-- transaction: a telegram.broadcasts row, an audit row (action 'broadcast') and one event
-- per linked customer in the rollout stage who has not muted announcements nor blocked
-- the bot; the notifier sends them like any message (rate, quiet hours, pause).
CREATE FUNCTION telegram.broadcast(p_texts jsonb, p_dry_run boolean DEFAULT true)
RETURNS TABLE(broadcast_id bigint, language text, text_language text, recipients integer)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  v_actor text := coalesce(nullif(current_setting('telegram.actor', true), ''), session_user::text);
  v_id bigint;
  v_count integer;
  v_key text;
BEGIN
  IF jsonb_typeof(p_texts) IS DISTINCT FROM 'object' OR jsonb_typeof(p_texts -> 'en') IS DISTINCT FROM 'string'
     OR btrim(p_texts ->> 'en') = '' THEN
    RAISE EXCEPTION 'a broadcast needs an English text: {"en": "...", "fr": "...", "ar": "..."}'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOR v_key IN SELECT jsonb_object_keys(p_texts) LOOP
    IF v_key NOT IN ('en', 'fr', 'ar') OR jsonb_typeof(p_texts -> v_key) <> 'string'
       OR btrim(p_texts ->> v_key) = '' THEN
      RAISE EXCEPTION 'broadcast text "%": the languages are en, fr and ar, each a non-empty text', v_key
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF char_length(p_texts ->> v_key) > 3500 THEN
      RAISE EXCEPTION 'broadcast text "%" is % characters long; at most 3500 fit in a message', v_key, char_length(p_texts ->> v_key)
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
  END LOOP;

  IF NOT p_dry_run THEN
    INSERT INTO telegram.broadcasts (texts, created_by) VALUES (p_texts, v_actor) RETURNING id INTO v_id;
    INSERT INTO telegram.events (source, user_id, subject_id, comment)
    SELECT 'broadcast', r.user_id, v_id::text, p_texts::text
      FROM telegram.broadcast_recipients(p_texts) r ORDER BY r.user_id;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    UPDATE telegram.broadcasts b SET recipients = v_count WHERE b.id = v_id;
    INSERT INTO telegram.control_audit (actor, action, new, detail)
    VALUES (v_actor, 'broadcast', jsonb_build_object('id', v_id, 'texts', p_texts, 'recipients', v_count),
            nullif(current_setting('telegram.audit_detail', true), ''));
    IF v_count > 0 AND telegram.notifier_is_idle() THEN
      PERFORM pg_notify('telegram_outbox', '');
    END IF;
  END IF;

  RETURN QUERY
  SELECT v_id, r.language, r.text_language, count(*)::integer
    FROM telegram.broadcast_recipients(p_texts) r
   GROUP BY r.language, r.text_language
   ORDER BY r.language;
END
$$;
REVOKE EXECUTE ON FUNCTION telegram.broadcast(jsonb, boolean) FROM PUBLIC;
COMMENT ON FUNCTION telegram.broadcast(jsonb, boolean) IS
  'Maintenance broadcast. p_texts: {"en": "...", "fr": "...", "ar": "..."} (en required; others fall back to it). p_dry_run (default true): the recipients by language, nothing written. false: a telegram.broadcasts row, an audit row in telegram.control_audit and one outbox message (kind broadcast) per linked customer in the rollout stage who has not muted announcements nor blocked the bot. Set telegram.actor to name yourself.';
