--! Previous: sha1:64f55b66dc1d0723d3841d4d5563e097e8fe4ec6
--! Hash: sha1:d7de42d55ad9eb9bc9c078cc56b8dd7637b6f24a
--! Message: failed-notifications

-- telegram.engagement counting the chats that linked during the day (issue 18 item 7);
-- failed notifications and what one customer was told (issue 18 item 3): SQL a DBA can
-- call by hand, and scripts/failed.ts and scripts/customer-history.ts call for the operator.
SET LOCAL lock_timeout = '5s';

-- The failed rows of telegram.outbox that the filters select (each filter NULL: any):
-- reason: a part of last_error, any case; kind: telegram.outbox.kind; customer: a
-- users.id or an email (any case), or the user_id of a deleted customer; since/until:
-- when the website recorded the event (created_at, until excluded); ids: these rows only.
-- No chat id: only who, what and why.
CREATE FUNCTION telegram.failed_notifications(
  p_reason text DEFAULT NULL,
  p_kind text DEFAULT NULL,
  p_customer text DEFAULT NULL,
  p_since timestamptz DEFAULT NULL,
  p_until timestamptz DEFAULT NULL,
  p_ids bigint[] DEFAULT NULL
) RETURNS TABLE (
  id bigint, recorded_at timestamptz, user_id text, email text, kind text, subject text,
  attempts integer, reason text
)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT o.id, o.created_at, o.user_id, u.email::text, o.kind, coalesce(o.label, o.subject_id),
         o.attempts, o.last_error
    FROM telegram.outbox o
    LEFT JOIN public.users u ON u.id = o.user_id
   WHERE o.status = 'failed'
     AND (p_reason IS NULL OR strpos(lower(coalesce(o.last_error, '')), lower(p_reason)) > 0)
     AND (p_kind IS NULL OR o.kind = p_kind)
     AND (p_customer IS NULL OR o.user_id = p_customer
          OR lower(u.email::text) = lower(p_customer))
     AND (p_since IS NULL OR o.created_at >= p_since)
     AND (p_until IS NULL OR o.created_at < p_until)
     AND (p_ids IS NULL OR o.id = ANY (p_ids))
   ORDER BY o.id
$$;
REVOKE EXECUTE ON FUNCTION telegram.failed_notifications(text, text, text, timestamptz, timestamptz, bigint[]) FROM PUBLIC;
COMMENT ON FUNCTION telegram.failed_notifications(text, text, text, timestamptz, timestamptz, bigint[]) IS
  'Failed notifications (telegram.outbox status failed), oldest first, selected by: reason (part of last_error, any case), kind, customer (users.id or email, any case), since/until (created_at), ids. Every filter NULL: all. No chat ids. Example: SELECT * FROM telegram.failed_notifications(p_reason => ''chat not found'', p_since => now() - interval ''3 days'').';

-- What resend_failed and skip_failed do: p_action 'resend' or 'skip' on the selection.
-- The rows are locked and still failed when settled: two operators at once settle each
-- row once. Returns the rows as they were (reason, attempts).
CREATE FUNCTION telegram.settle_failed(
  p_action text, p_dry_run boolean, p_reason text, p_kind text, p_customer text,
  p_since timestamptz, p_until timestamptz, p_ids bigint[]
) RETURNS TABLE (
  id bigint, recorded_at timestamptz, user_id text, email text, kind text, subject text,
  attempts integer, reason text
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  v_ids bigint[];
  v_reasons jsonb;
BEGIN
  IF p_action IS NULL OR p_action NOT IN ('resend', 'skip') THEN
    RAISE EXCEPTION 'unknown action %: resend or skip', p_action;
  END IF;
  IF p_dry_run IS NULL THEN
    RAISE EXCEPTION 'p_dry_run must be true or false'
      USING HINT = 'true shows what would change; false changes it';
  END IF;
  IF p_dry_run THEN
    RETURN QUERY SELECT * FROM telegram.failed_notifications(p_reason, p_kind, p_customer,
      p_since, p_until, p_ids);
    RETURN;
  END IF;

  SELECT array_agg(l.id ORDER BY l.id) INTO v_ids
    FROM (SELECT o.id FROM telegram.outbox o
           WHERE o.id IN (SELECT f.id FROM telegram.failed_notifications(p_reason, p_kind,
                            p_customer, p_since, p_until, p_ids) f)
             AND o.status = 'failed'
           ORDER BY o.id
             FOR UPDATE) l;
  IF v_ids IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY SELECT * FROM telegram.failed_notifications(p_ids => v_ids);
  SELECT jsonb_object_agg(o.id::text, o.last_error) INTO v_reasons
    FROM telegram.outbox o WHERE o.id = ANY (v_ids);

  UPDATE telegram.outbox o
     SET status = CASE p_action WHEN 'resend' THEN 'pending' ELSE 'skipped' END,
         last_error = CASE p_action WHEN 'resend' THEN NULL ELSE 'skipped by operator' END,
         attempts = CASE p_action WHEN 'resend' THEN 0 ELSE o.attempts END,
         due_at = NULL, locked_until = NULL, locked_by = NULL
   WHERE o.id = ANY (v_ids);

  INSERT INTO telegram.control_audit (actor, action, old, new, detail)
  VALUES (coalesce(nullif(current_setting('telegram.actor', true), ''), session_user::text),
          p_action,
          jsonb_build_object('status', 'failed', 'reasons', v_reasons),
          jsonb_build_object('status', CASE p_action WHEN 'resend' THEN 'pending' ELSE 'skipped' END,
                             'ids', to_jsonb(v_ids), 'count', cardinality(v_ids)),
          format('%s %s failed notification(s): ids %s',
                 CASE p_action WHEN 'resend' THEN 'resent' ELSE 'skipped' END,
                 cardinality(v_ids), array_to_string(v_ids, ', ')));
END
$$;
REVOKE EXECUTE ON FUNCTION telegram.settle_failed(text, boolean, text, text, text, timestamptz, timestamptz, bigint[]) FROM PUBLIC;
COMMENT ON FUNCTION telegram.settle_failed(text, boolean, text, text, text, timestamptz, timestamptz, bigint[]) IS
  'What telegram.resend_failed() and telegram.skip_failed() do (p_action resend or skip); call those.';

-- Sets the selected failed rows pending again (attempts, due time, lease and error
-- cleared). They keep their ids, and the notifier's claim leases a customer's pending rows
-- in id order, each only once every earlier one of that customer is due: a resent row goes
-- out before that customer's newer pending ones. With p_dry_run nothing changes: the rows
-- that would be resent are returned. Otherwise one row in telegram.control_audit
-- (action 'resend', actor: the telegram.actor setting, else the database role).
CREATE FUNCTION telegram.resend_failed(
  p_dry_run boolean,
  p_reason text DEFAULT NULL,
  p_kind text DEFAULT NULL,
  p_customer text DEFAULT NULL,
  p_since timestamptz DEFAULT NULL,
  p_until timestamptz DEFAULT NULL,
  p_ids bigint[] DEFAULT NULL
) RETURNS TABLE (
  id bigint, recorded_at timestamptz, user_id text, email text, kind text, subject text,
  attempts integer, reason text
)
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM telegram.settle_failed('resend', p_dry_run, p_reason, p_kind, p_customer,
                                       p_since, p_until, p_ids)
$$;
REVOKE EXECUTE ON FUNCTION telegram.resend_failed(boolean, text, text, text, timestamptz, timestamptz, bigint[]) FROM PUBLIC;
COMMENT ON FUNCTION telegram.resend_failed(boolean, text, text, text, timestamptz, timestamptz, bigint[]) IS
  'Sets the failed notifications that telegram.failed_notifications() selects pending again, to go out in each customer''s order (ids kept); p_dry_run => true only returns them. Audited in telegram.control_audit (action resend). Example: SELECT * FROM telegram.resend_failed(p_dry_run => true, p_reason => ''gave up'').';

-- Marks the selected failed rows skipped ('skipped by operator'): they are not counted as
-- failed any more and never sent. Dry run and audit (action 'skip') as resend_failed.
CREATE FUNCTION telegram.skip_failed(
  p_dry_run boolean,
  p_reason text DEFAULT NULL,
  p_kind text DEFAULT NULL,
  p_customer text DEFAULT NULL,
  p_since timestamptz DEFAULT NULL,
  p_until timestamptz DEFAULT NULL,
  p_ids bigint[] DEFAULT NULL
) RETURNS TABLE (
  id bigint, recorded_at timestamptz, user_id text, email text, kind text, subject text,
  attempts integer, reason text
)
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM telegram.settle_failed('skip', p_dry_run, p_reason, p_kind, p_customer,
                                       p_since, p_until, p_ids)
$$;
REVOKE EXECUTE ON FUNCTION telegram.skip_failed(boolean, text, text, text, timestamptz, timestamptz, bigint[]) FROM PUBLIC;
COMMENT ON FUNCTION telegram.skip_failed(boolean, text, text, text, timestamptz, timestamptz, bigint[]) IS
  'Marks the failed notifications that telegram.failed_notifications() selects skipped (last_error ''skipped by operator''); p_dry_run => true only returns them. Audited in telegram.control_audit (action skip). Example: SELECT * FROM telegram.skip_failed(p_dry_run => false, p_ids => ''{42,43}'').';

-- What one customer was told and when: every outbox row of the customer (a users.id or an
-- email, any case; a deleted customer by the user_id their rows keep), oldest first.
-- change: the new status, tracking number, COD status or estimate the message was about.
-- reason: why it failed or was skipped (or the last transient error of a pending row).
-- No such customer and no rows: an error that says so.
CREATE FUNCTION telegram.customer_history(p_customer text)
RETURNS TABLE (
  id bigint, recorded_at timestamptz, kind text, subject text, change text, status text,
  sent_at timestamptz, reason text
)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  v_users text[];
BEGIN
  SELECT array_agg(u.id::text) INTO v_users
    FROM public.users u
   WHERE u.id = p_customer OR lower(u.email::text) = lower(p_customer);
  IF v_users IS NULL THEN
    IF NOT EXISTS (SELECT 1 FROM telegram.outbox o WHERE o.user_id = p_customer) THEN
      RAISE EXCEPTION 'no customer with id or email %', p_customer
        USING ERRCODE = 'no_data_found',
              HINT = 'give the email the customer registered with (any case) or their users.id';
    END IF;
    v_users := ARRAY[p_customer];
  END IF;
  RETURN QUERY
  SELECT o.id, o.created_at, o.kind, coalesce(o.label, o.subject_id),
         coalesce(o.status_to, 'tracking ' || o.tracking_number, 'COD ' || o.cod_status,
                  o.eta_minutes || ' minutes', CASE WHEN o.paid THEN 'paid' END),
         o.status, o.sent_at, o.last_error
    FROM telegram.outbox o
   WHERE o.user_id = ANY (v_users)
   ORDER BY o.id;
END
$$;
REVOKE EXECUTE ON FUNCTION telegram.customer_history(text) FROM PUBLIC;
COMMENT ON FUNCTION telegram.customer_history(text) IS
  'What one customer (users.id or email, any case) was told and when: each telegram.outbox row, oldest first: recorded_at (the website''s write), kind, subject (file name or order number), change, status, sent_at, reason (why failed or skipped). No chat ids. Example: SELECT * FROM telegram.customer_history(''karim@example.com'').';

-- telegram.engagement counted a chat as linked when it was linked BEFORE its last update
-- of the day (the bot counts an update before handling it): a chat whose last update
-- linked it (/start with a deep link, /verify) was counted as not linked, and one whose
-- last update unlinked it as linked. Now the link state at the end of the chat's day is
-- the last change of that chat in telegram.link_audit that day (linked when it is the
-- new chat, not when it is the old one), else the state at its last update. Same columns.
CREATE OR REPLACE VIEW telegram.engagement AS
WITH changes AS (
  SELECT DISTINCT ON (c.day, c.chat_fingerprint) c.day, c.chat_fingerprint, c.linked
    FROM telegram.link_audit la
   CROSS JOIN LATERAL (VALUES (la.at::date, la.old_chat_fingerprint, false, 0),
                              (la.at::date, la.new_chat_fingerprint, true, 1))
         AS c(day, chat_fingerprint, linked, side)
   WHERE c.chat_fingerprint IS NOT NULL
   ORDER BY c.day, c.chat_fingerprint, la.at DESC, la.id DESC, c.side DESC
)
SELECT a.day,
       count(*) AS active_chats,
       count(*) FILTER (WHERE coalesce(ch.linked, a.linked)) AS active_linked_chats,
       sum(a.updates) AS updates
  FROM telegram.chat_activity a
  LEFT JOIN changes ch ON ch.day = a.day AND ch.chat_fingerprint = a.chat_fingerprint
 GROUP BY a.day;
COMMENT ON VIEW telegram.engagement IS
  'Per day: chats that sent the bot anything (active_chats), those of them linked at the end of their day (active_linked_chats: their last link change that day in telegram.link_audit, else their state at their last update), and their updates. Days as the database''s time zone counts them.';
