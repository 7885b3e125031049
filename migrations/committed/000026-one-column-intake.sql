--! Previous: sha1:532ff6a8547feafe44f96f68ed8e649b7f1450d4
--! Hash: sha1:d0a94ada22a8ff16e39d9540cbd09e900135d80a
--! Message: one-column-intake

-- The website's write cost (issue 15), continued from 000024. A profile of the status
-- UPDATE after 000024 put most of what our file-change trigger costs over the bare
-- one-INSERT reference in per-transaction set-up, paid again by every one-row
-- transaction: the executor start of `INSERT INTO telegram.events SELECT v.*` (its
-- 20-column projection and result type, 21.6 % of the whole transaction), then the
-- five-condition test (9.1 %) and the ROW (6.8 %), each compiled again in every
-- transaction (docs/benchmarks.md, "A one-column intake and a shorter test").
--
-- 1. The website's four recording triggers INSERT their event into telegram.intake, a
--    table of one column whose type is telegram.events' row type: one value, no
--    projection to build. The event is the same ROW(...)::telegram.events as before,
--    built in the same EXCEPTION block (every read and conversion of a website column
--    still guarded: a dropped, renamed or retyped column makes the change go unrecorded
--    with a WARNING and the website's write succeed), column for column the same values.
--    telegram.events stays as it was, for everything else that records an event (test
--    messages, broadcasts, a DBA by hand); telegram.ingest_events() empties both into the
--    outbox in recorded order, telegram.claim_batch looks at both before it answers
--    "nothing to claim", and the view telegram.recorded_events shows both, column by
--    column, to whoever counts what waits. A column added to telegram.events must be added to each ROW in
--    these triggers, as before (and ALTER TABLE telegram.events can no longer change a
--    column's type or rewrite the table while telegram.intake uses its row type).
-- 2. The file-change trigger tests the status change alone first, and the four other
--    conditions only when the status did not change: a status change (the common case)
--    compiles and evaluates one short expression instead of all five. The result is the
--    same for every row, NULLs included (the status test is never NULL; the rest is
--    tested as before, and a NULL outcome records the change, as before).
-- The doorbell, SECURITY DEFINER, the pinned search_path and the qualified names stay.
SET LOCAL lock_timeout = '5s';

CREATE TABLE telegram.intake (
  e telegram.events NOT NULL
);
COMMENT ON TABLE telegram.intake IS 'Intake of the website''s recording triggers: one event per row, as one value of telegram.events'' row type (an INSERT of one value costs the website''s write less than one of 20 columns). Emptied with telegram.events by telegram.ingest_events(); telegram.recorded_events shows both.';
COMMENT ON TABLE telegram.events IS 'Intake of the events recorded in SQL (test messages, broadcasts, by hand; the website''s triggers write telegram.intake). Emptied by telegram.ingest_events() into telegram.outbox; telegram.recorded_events shows both intakes.';

CREATE VIEW telegram.recorded_events AS
  SELECT * FROM telegram.events
  UNION ALL
  SELECT (i.e).* FROM telegram.intake i;
COMMENT ON VIEW telegram.recorded_events IS 'Every event recorded and not yet seen by a notifier (telegram.events and telegram.intake, one column each as in telegram.events): what telegram.ingest_events() moves into the outbox next.';

CREATE OR REPLACE FUNCTION telegram.tg_tuning_files__record_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v telegram.events;
BEGIN
  BEGIN
    IF OLD.status IS NOT DISTINCT FROM NEW.status THEN
      IF NOT ((NEW."modifiedR2Key" IS NOT NULL AND OLD."modifiedR2Key" IS DISTINCT FROM NEW."modifiedR2Key")
         OR (NEW."estimatedProcessingTime" IS NOT NULL
             AND (OLD."estimatedProcessingTime" IS DISTINCT FROM NEW."estimatedProcessingTime"
                  OR OLD."estimatedProcessingTimeSetAt" IS DISTINCT FROM NEW."estimatedProcessingTimeSetAt"))
         OR (OLD."adminNotes" IS DISTINCT FROM NEW."adminNotes" AND NEW."adminNotes" ~ '[^[:space:]]')
         OR (NEW."paymentStatus"::text = 'PAID' AND OLD."paymentStatus" IS DISTINCT FROM NEW."paymentStatus"))
      THEN
        RETURN NEW;
      END IF;
    END IF;
    v := ROW(pg_catalog.clock_timestamp(), 'file_update', NEW."userId", NEW.id, NEW."originalFilename",
             OLD.status::text, NEW.status::text,
             OLD."estimatedProcessingTime", NEW."estimatedProcessingTime",
             OLD."estimatedProcessingTimeSetAt", NEW."estimatedProcessingTimeSetAt",
             NEW."adminNotes", OLD."adminNotes" IS DISTINCT FROM NEW."adminNotes",
             OLD."paymentStatus"::text, NEW."paymentStatus"::text,
             NEW."modifiedR2Key" IS NOT NULL AND OLD."modifiedR2Key" IS DISTINCT FROM NEW."modifiedR2Key",
             NULL, NULL, NULL, NULL)::telegram.events;
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'telegram: file change not recorded: % (see SELECT * FROM telegram.missing_objects())', SQLERRM;
    RETURN NEW;
  END;
  INSERT INTO telegram.intake VALUES (v);
  IF telegram.notifier_is_idle() THEN
    PERFORM pg_catalog.pg_notify('telegram_outbox', '');
  END IF;
  RETURN NEW;
END
$function$;

CREATE OR REPLACE FUNCTION telegram.tg_tuning_files__record_upload()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v telegram.events;
BEGIN
  BEGIN
    v := ROW(pg_catalog.clock_timestamp(), 'file_insert', NEW."userId", NEW.id, NEW."originalFilename",
             NULL, NEW.status::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, NULL)::telegram.events;
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'telegram: upload not recorded: % (see SELECT * FROM telegram.missing_objects())', SQLERRM;
    RETURN NULL;
  END;
  INSERT INTO telegram.intake VALUES (v);
  IF telegram.notifier_is_idle() THEN
    PERFORM pg_catalog.pg_notify('telegram_outbox', '');
  END IF;
  RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION telegram.tg_orders__record_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v telegram.events;
BEGIN
  BEGIN
    IF NOT (NEW."userId" IS NOT NULL AND (
         (OLD.status IS DISTINCT FROM NEW.status AND NEW.status::text <> 'PENDING')
         OR (OLD."trackingNumber" IS DISTINCT FROM NEW."trackingNumber" AND NEW."trackingNumber" ~ '[^[:space:]]')
         OR (OLD."codStatus" IS DISTINCT FROM NEW."codStatus" AND NEW."codStatus"::text IN ('DISPATCHED', 'DELIVERED'))))
    THEN
      RETURN NEW;
    END IF;
    v := ROW(pg_catalog.clock_timestamp(), 'order_update', NEW."userId", NEW.id, NEW."orderNumber",
             OLD.status::text, NEW.status::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             OLD."trackingNumber", NEW."trackingNumber", OLD."codStatus"::text, NEW."codStatus"::text)::telegram.events;
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'telegram: order change not recorded: % (see SELECT * FROM telegram.missing_objects())', SQLERRM;
    RETURN NEW;
  END;
  INSERT INTO telegram.intake VALUES (v);
  IF telegram.notifier_is_idle() THEN
    PERFORM pg_catalog.pg_notify('telegram_outbox', '');
  END IF;
  RETURN NEW;
END
$function$;

CREATE OR REPLACE FUNCTION telegram.tg_payments__record_success()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v telegram.events;
BEGIN
  BEGIN
    IF NEW.status::text <> 'SUCCEEDED'
       OR (TG_OP = 'UPDATE' AND OLD.status IS NOT DISTINCT FROM NEW.status) THEN
      RETURN NULL;
    END IF;
    SELECT o."userId", o.id, o."orderNumber", NEW.status::text
      INTO v.user_id, v.subject_id, v.label, v.new_status
      FROM public.orders o
     WHERE o.id = NEW."orderId";
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'telegram: payment not recorded: % (see SELECT * FROM telegram.missing_objects())', SQLERRM;
    RETURN NULL;
  END;
  IF v.user_id IS NULL THEN
    RETURN NULL;
  END IF;
  v.recorded_at := pg_catalog.clock_timestamp();
  v.source := 'payment';
  INSERT INTO telegram.intake VALUES (v);
  IF telegram.notifier_is_idle() THEN
    PERFORM pg_catalog.pg_notify('telegram_outbox', '');
  END IF;
  RETURN NULL;
END
$function$;

-- telegram.ingest_events (live definition of 000021) empties telegram.intake with
-- telegram.events; the rest is as it was.
CREATE OR REPLACE FUNCTION telegram.ingest_events()
 RETURNS integer
 LANGUAGE sql
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
$function$;

-- telegram.claim_batch (live definition of 000022): "nothing to claim" only when both
-- intakes are empty; the rest is as it was.
CREATE OR REPLACE FUNCTION telegram.claim_batch(p_worker text, p_limit integer, p_per_customer integer, p_lease_seconds double precision, p_scan integer)
 RETURNS TABLE(id text, user_id text, kind text, subject_id text, label text, status_to text, eta_minutes integer, comment text, tracking_number text, cod_status text, paid boolean, attempts integer, created_at timestamp with time zone, first_name text, last_name text, language text, timezone text, chat text, user_exists boolean, muted_kinds text[], language_override text, quiet_start smallint, quiet_end smallint, blocked_at timestamp with time zone, skipped_reason text)
 LANGUAGE plpgsql
AS $function$
BEGIN
  -- Nothing to claim: no new event, and no pending row that is due and free (a retry
  -- come due, a lease run out). Read without the claim lock: an event committed after
  -- this look rings the bell (or is waited for when the notifier takes its ring locks),
  -- and a claim follows.
  IF NOT EXISTS (SELECT FROM telegram.events)
     AND NOT EXISTS (SELECT FROM telegram.intake)
     AND NOT EXISTS (SELECT FROM telegram.outbox o
                      WHERE o.status = 'pending'
                        AND (o.due_at IS NULL OR o.due_at <= now())
                        AND (o.locked_until IS NULL OR o.locked_until < now())) THEN
    RETURN;
  END IF;
  RETURN QUERY SELECT * FROM telegram.claim_batch_all(p_worker, p_limit, p_per_customer, p_lease_seconds, p_scan);
END
$function$;
