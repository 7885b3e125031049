--! Previous: sha1:99fbaab47b7c18bd73bbf1cf4fc6e697ce273b0a
--! Hash: sha1:d01643630642eb438a4575631f4afaa44d5e3838
--! Message: cheaper-triggers

-- Cheaper triggers on the website's writes. Measured with pgbench (8 clients, the
-- website's one-row status UPDATE, see docs/benchmarks.md), three costs stood out:
-- 1. A trigger's WHEN clause is parsed and compiled again for every statement (the
--    compiled form lives only as long as the statement), so the old five-condition
--    WHEN cost each UPDATE of tuning_files about 30 µs, even one that only bumped
--    "updatedAt". The same test inside the function is compiled once per session.
-- 2. An AFTER row trigger queues an event and fetches both row versions again at the
--    end of the statement. A BEFORE row trigger gets them at hand. It fires once the
--    row is locked (after a concurrent update's recheck), so it sees the values that
--    are written; if the UPDATE then fails, the website's transaction (or savepoint)
--    takes our row with it. It returns NEW untouched. Uploads keep an AFTER INSERT
--    trigger: a BEFORE INSERT trigger would also fire for an INSERT ... ON CONFLICT
--    that ends up inserting nothing.
-- 3. Every writer tested the same advisory lock to know if a notifier is busy, so all
--    of them queued on one lock-table partition. The notifier now holds sixteen busy
--    locks and each connection tests the one its backend pid picks.
SET LOCAL lock_timeout = '5s';

-- The doorbell. true when no notifier is busy: the triggers then NOTIFY telegram_outbox.
CREATE OR REPLACE FUNCTION telegram.notifier_is_idle() RETURNS boolean
LANGUAGE sql VOLATILE PARALLEL RESTRICTED
AS $$
  SELECT CASE WHEN pg_try_advisory_lock_shared(1952803941, 16 + pg_backend_pid() % 16)
              THEN pg_advisory_unlock_shared(1952803941, 16 + pg_backend_pid() % 16)
              ELSE false END
$$;
COMMENT ON FUNCTION telegram.notifier_is_idle() IS
  'true when no notifier holds the busy locks (1952803941, 16..31), taken by telegram.notifier_set_busy(true): the triggers then NOTIFY telegram_outbox.';

-- Called by a notifier on its own connection: true while it drains, false when done.
-- Session locks: a notifier that dies lets go of them, and the bell rings again.
CREATE FUNCTION telegram.notifier_set_busy(busy boolean) RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  IF busy THEN
    PERFORM pg_advisory_lock(1952803941, k) FROM generate_series(16, 31) k;
  ELSE
    PERFORM pg_advisory_unlock(1952803941, k) FROM generate_series(16, 31) k;
  END IF;
END
$$;
COMMENT ON FUNCTION telegram.notifier_set_busy(boolean) IS
  'Takes (true) or releases (false) the notifier''s busy locks (1952803941, 16..31) on this session; while held, the triggers do not NOTIFY.';

CREATE OR REPLACE FUNCTION telegram.tg_tuning_files__record_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF OLD.status IS DISTINCT FROM NEW.status
     OR (NEW."modifiedR2Key" IS NOT NULL AND OLD."modifiedR2Key" IS DISTINCT FROM NEW."modifiedR2Key")
     OR (NEW."estimatedProcessingTime" IS NOT NULL
         AND (OLD."estimatedProcessingTime" IS DISTINCT FROM NEW."estimatedProcessingTime"
              OR OLD."estimatedProcessingTimeSetAt" IS DISTINCT FROM NEW."estimatedProcessingTimeSetAt"))
     OR (OLD."adminNotes" IS DISTINCT FROM NEW."adminNotes" AND NEW."adminNotes" ~ '[^[:space:]]')
     OR (NEW."paymentStatus" = 'PAID' AND OLD."paymentStatus" IS DISTINCT FROM NEW."paymentStatus")
  THEN
    INSERT INTO telegram.events
      (source, user_id, subject_id, label, old_status, new_status, old_eta, new_eta,
       old_eta_set_at, new_eta_set_at, comment, comment_changed, old_payment, new_payment,
       modified_changed)
    VALUES ('file_update', NEW."userId", NEW.id, NEW."originalFilename", OLD.status, NEW.status,
            OLD."estimatedProcessingTime", NEW."estimatedProcessingTime",
            OLD."estimatedProcessingTimeSetAt", NEW."estimatedProcessingTimeSetAt",
            NEW."adminNotes", OLD."adminNotes" IS DISTINCT FROM NEW."adminNotes",
            OLD."paymentStatus", NEW."paymentStatus",
            NEW."modifiedR2Key" IS NOT NULL AND OLD."modifiedR2Key" IS DISTINCT FROM NEW."modifiedR2Key");
    IF telegram.notifier_is_idle() THEN
      PERFORM pg_notify('telegram_outbox', '');
    END IF;
  END IF;
  RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS telegram_record_file_change ON public.tuning_files;
CREATE TRIGGER telegram_record_file_change
  BEFORE UPDATE ON public.tuning_files
  FOR EACH ROW EXECUTE FUNCTION telegram.tg_tuning_files__record_change();

CREATE OR REPLACE FUNCTION telegram.tg_orders__record_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF NEW."userId" IS NOT NULL AND (
       (OLD.status IS DISTINCT FROM NEW.status AND NEW.status <> 'PENDING')
       OR (OLD."trackingNumber" IS DISTINCT FROM NEW."trackingNumber" AND NEW."trackingNumber" ~ '[^[:space:]]')
       OR (OLD."codStatus" IS DISTINCT FROM NEW."codStatus" AND NEW."codStatus" IN ('DISPATCHED', 'DELIVERED')))
  THEN
    INSERT INTO telegram.events
      (source, user_id, subject_id, label, old_status, new_status, old_tracking, new_tracking, old_cod, new_cod)
    VALUES ('order_update', NEW."userId", NEW.id, NEW."orderNumber", OLD.status, NEW.status,
            OLD."trackingNumber", NEW."trackingNumber", OLD."codStatus", NEW."codStatus");
    IF telegram.notifier_is_idle() THEN
      PERFORM pg_notify('telegram_outbox', '');
    END IF;
  END IF;
  RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS telegram_record_order_change ON public.orders;
CREATE TRIGGER telegram_record_order_change
  BEFORE UPDATE ON public.orders
  FOR EACH ROW EXECUTE FUNCTION telegram.tg_orders__record_change();
