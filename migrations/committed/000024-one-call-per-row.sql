--! Previous: sha1:e467f5ac50fb4b1154b777c659cd3577d8465470
--! Hash: sha1:3bd65dee4667c5b2a8138f349db494c5fab60fc2
--! Message: one-call-per-row

-- The website's write cost (issue 15): each website row our triggers record cost one
-- PL/pgSQL call, not two. Until now a trigger filled `v` field by field (15 assignments,
-- each an expression PL/pgSQL compiles again in every transaction) and then PERFORMed
-- telegram.record_event(v): a SELECT of its own through the executor, a second PL/pgSQL
-- call and an INSERT ... SELECT (p_event).*. A profile of the status UPDATE (perf, one
-- backend, docs/benchmarks.md "One PL/pgSQL call per row") put 21 % of the whole
-- transaction in that PERFORM and 9 % in the assignments; the SECURITY DEFINER + SET
-- search_path switch took 2 % and the EXCEPTION block's subtransaction 0.4 %, so both
-- stay. Now each trigger builds the event as one row value, ROW(...)::telegram.events,
-- inside the same EXCEPTION block as before (every read of a website column and every
-- conversion is still in it, so a dropped, renamed or retyped column still makes the
-- change go unrecorded with a WARNING and the website's write succeed), and after the
-- block INSERTs it and rings the doorbell itself, as telegram.record_event did
-- (recorded_at = clock_timestamp(); NOTIFY telegram_outbox when telegram.notifier_is_idle()).
-- The INSERT stays outside the block: a write inside it would give every row a
-- subtransaction id (and past 64 in one transaction, every snapshot of the database
-- would have to look in pg_subtrans). The functions keep SECURITY DEFINER, their pinned
-- search_path and every name qualified; the values recorded are those of before, column
-- for column. telegram.record_event stays for telegram.record_test_message. The ROW is
-- positional: a column added to telegram.events must be added to each ROW here (or every
-- change goes unrecorded with a WARNING; the trigger tests fail).
SET LOCAL lock_timeout = '5s';

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
    IF NOT (OLD.status IS DISTINCT FROM NEW.status
       OR (NEW."modifiedR2Key" IS NOT NULL AND OLD."modifiedR2Key" IS DISTINCT FROM NEW."modifiedR2Key")
       OR (NEW."estimatedProcessingTime" IS NOT NULL
           AND (OLD."estimatedProcessingTime" IS DISTINCT FROM NEW."estimatedProcessingTime"
                OR OLD."estimatedProcessingTimeSetAt" IS DISTINCT FROM NEW."estimatedProcessingTimeSetAt"))
       OR (OLD."adminNotes" IS DISTINCT FROM NEW."adminNotes" AND NEW."adminNotes" ~ '[^[:space:]]')
       OR (NEW."paymentStatus"::text = 'PAID' AND OLD."paymentStatus" IS DISTINCT FROM NEW."paymentStatus"))
    THEN
      RETURN NEW;
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
  INSERT INTO telegram.events SELECT v.*;
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
  INSERT INTO telegram.events SELECT v.*;
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
  INSERT INTO telegram.events SELECT v.*;
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
  INSERT INTO telegram.events SELECT v.*;
  IF telegram.notifier_is_idle() THEN
    PERFORM pg_catalog.pg_notify('telegram_outbox', '');
  END IF;
  RETURN NULL;
END
$function$;
