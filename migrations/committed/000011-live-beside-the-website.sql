--! Previous: sha1:c05833cad7796949508afa46c84592a46594994a
--! Hash: sha1:5b88bde1be7b0ae9c683481bcbd4bbe3ba95aebb
--! Message: live-beside-the-website

-- Living beside the website (issue 15): nothing of ours may fail a website write, block a
-- website migration, or vanish silently when the website's tools drop what they do not
-- model.
-- 1. The trigger functions run as their owner, the role that runs the migrations
--    (SECURITY DEFINER), with search_path pinned to pg_catalog and every name of ours
--    qualified: a website role with rights on its own tables only (nothing on schema
--    telegram) writes as before, and cannot put objects of its own in their way.
--    EXECUTE on every function here is revoked from PUBLIC: a trigger fires without it,
--    and the website has nothing to call (a DBA grants telegram.create_link_token to a
--    role that should make deep links).
-- 2. Nothing of ours is recorded by PostgreSQL as depending on a website column: no
--    trigger WHEN clause or UPDATE OF list (payments and users had them; ALTER COLUMN
--    TYPE on such a column fails), no view over public tables (telegram.linked_customers
--    read users: ALTER COLUMN "firstName" TYPE varchar(100) failed). The functions test
--    the values instead, enums as text (a literal of an enum value the website removes
--    would fail), and read the website's columns inside an exception block that holds
--    no write (so no subtransaction id is spent): a column the website drops makes its
--    change go unrecorded with a WARNING, and telegram.missing_objects() reports it;
--    the website's write itself succeeds.
-- 3. telegram.missing_objects(): what must exist in the website's tables for the bot to
--    work (our columns, unique constraint, indexes, triggers, and the website columns we
--    read), what is missing and the statements that restore it. `npm run migrate` runs
--    them after the migrations, so what `prisma db push` or a reset dropped comes back
--    even when every migration is recorded as applied; the service at start, /healthz,
--    the self-test and the telegram_triggers_missing gauge report what is missing.
SET LOCAL lock_timeout = '5s';

CREATE FUNCTION telegram.missing_objects()
RETURNS TABLE (kind text, name text, on_table text, problem text, repair text[])
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  WITH required (ord, kind, name, on_table, create_sql) AS (VALUES
    (1, 'column', 'telegramChatId', 'public.users',
     ARRAY['ALTER TABLE public.users ADD COLUMN IF NOT EXISTS "telegramChatId" text']),
    (2, 'column', 'telegramUsername', 'public.users',
     ARRAY['ALTER TABLE public.users ADD COLUMN IF NOT EXISTS "telegramUsername" text']),
    (3, 'column', 'telegramLinkedAt', 'public.users',
     ARRAY['ALTER TABLE public.users ADD COLUMN IF NOT EXISTS "telegramLinkedAt" timestamp(3)']),
    (4, 'constraint', 'users_telegramChatId_key', 'public.users',
     ARRAY['CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "users_telegramChatId_key" ON public.users ("telegramChatId")',
           'ALTER TABLE public.users ADD CONSTRAINT "users_telegramChatId_key" UNIQUE USING INDEX "users_telegramChatId_key"']),
    (5, 'index', 'tuning_files_userId_createdAt_idx', 'public.tuning_files',
     ARRAY['CREATE INDEX CONCURRENTLY IF NOT EXISTS "tuning_files_userId_createdAt_idx" ON public.tuning_files ("userId", "createdAt" DESC)']),
    (6, 'index', 'orders_userId_createdAt_idx', 'public.orders',
     ARRAY['CREATE INDEX CONCURRENTLY IF NOT EXISTS "orders_userId_createdAt_idx" ON public.orders ("userId", "createdAt" DESC)']),
    (7, 'trigger', 'telegram_record_file_upload', 'public.tuning_files',
     ARRAY['CREATE TRIGGER telegram_record_file_upload AFTER INSERT ON public.tuning_files FOR EACH ROW EXECUTE FUNCTION telegram.tg_tuning_files__record_upload()']),
    (8, 'trigger', 'telegram_record_file_change', 'public.tuning_files',
     ARRAY['CREATE TRIGGER telegram_record_file_change BEFORE UPDATE ON public.tuning_files FOR EACH ROW EXECUTE FUNCTION telegram.tg_tuning_files__record_change()']),
    (9, 'trigger', 'telegram_record_order_change', 'public.orders',
     ARRAY['CREATE TRIGGER telegram_record_order_change BEFORE UPDATE ON public.orders FOR EACH ROW EXECUTE FUNCTION telegram.tg_orders__record_change()']),
    (10, 'trigger', 'telegram_record_payment_received', 'public.payments',
     ARRAY['CREATE TRIGGER telegram_record_payment_received AFTER INSERT ON public.payments FOR EACH ROW EXECUTE FUNCTION telegram.tg_payments__record_success()']),
    (11, 'trigger', 'telegram_record_payment_succeeded', 'public.payments',
     ARRAY['CREATE TRIGGER telegram_record_payment_succeeded AFTER UPDATE ON public.payments FOR EACH ROW EXECUTE FUNCTION telegram.tg_payments__record_success()']),
    (12, 'trigger', 'telegram_audit_link', 'public.users',
     ARRAY['CREATE TRIGGER telegram_audit_link AFTER UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION telegram.tg_users__audit_link()']),
    (13, 'trigger', 'telegram_audit_link_on_insert', 'public.users',
     ARRAY['CREATE TRIGGER telegram_audit_link_on_insert AFTER INSERT ON public.users FOR EACH ROW EXECUTE FUNCTION telegram.tg_users__audit_link()']),
    (14, 'trigger', 'telegram_audit_unlink_on_delete', 'public.users',
     ARRAY['CREATE TRIGGER telegram_audit_unlink_on_delete AFTER DELETE ON public.users FOR EACH ROW EXECUTE FUNCTION telegram.tg_users__audit_link()'])
  ), website_columns (on_table, name) AS (
    SELECT 'public.' || t, c FROM (VALUES
      ('users', ARRAY['id', 'email', 'firstName', 'lastName', 'language', 'timezone']),
      ('tuning_files', ARRAY['id', 'userId', 'originalFilename', 'status', 'paymentStatus',
        'adminNotes', 'estimatedProcessingTime', 'estimatedProcessingTimeSetAt', 'modifiedR2Key']),
      ('orders', ARRAY['id', 'userId', 'orderNumber', 'status', 'trackingNumber', 'codStatus']),
      ('payments', ARRAY['orderId', 'status'])) w (t, cs), unnest(w.cs) c
  ), found AS (
    SELECT r.ord, r.kind, r.name, r.on_table, r.create_sql,
           CASE r.kind
             WHEN 'column' THEN (SELECT true FROM pg_attribute a
                                  WHERE a.attrelid = to_regclass(r.on_table) AND a.attname = r.name
                                    AND NOT a.attisdropped)
             WHEN 'constraint' THEN (SELECT true FROM pg_constraint c
                                      WHERE c.conrelid = to_regclass(r.on_table) AND c.conname = r.name)
             WHEN 'index' THEN (SELECT i.indisvalid FROM pg_index i
                                 WHERE i.indrelid = to_regclass(r.on_table)
                                   AND i.indexrelid = to_regclass('public.' || quote_ident(r.name)))
             WHEN 'trigger' THEN (SELECT true FROM pg_trigger t
                                   WHERE t.tgrelid = to_regclass(r.on_table) AND t.tgname = r.name)
           END AS valid,
           -- An index a CREATE INDEX CONCURRENTLY left INVALID (IF NOT EXISTS would keep it).
           (SELECT NOT i.indisvalid FROM pg_index i
             WHERE i.indexrelid = to_regclass('public.' || quote_ident(r.name))) AS invalid_index
      FROM required r
  )
  SELECT f.kind, f.name, f.on_table,
         CASE WHEN f.valid IS NULL THEN 'missing' ELSE 'invalid' END,
         CASE WHEN f.invalid_index
              THEN ARRAY['DROP INDEX CONCURRENTLY IF EXISTS public.' || quote_ident(f.name)]
              ELSE '{}'::text[] END || f.create_sql
    FROM found f
   WHERE f.valid IS NOT TRUE
  UNION ALL
  SELECT 'website column', w.name, w.on_table, 'missing', '{}'::text[]
    FROM website_columns w
   WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                      WHERE a.attrelid = to_regclass(w.on_table) AND a.attname = w.name
                        AND NOT a.attisdropped)
$$;
COMMENT ON FUNCTION telegram.missing_objects() IS
  'What the bot needs in the website''s tables and is missing or invalid: our columns, unique constraint, indexes and triggers (repair: the statements that restore them, run in order by npm run migrate; CONCURRENTLY ones outside a transaction), and website columns the bot reads (kind "website column", no repair: the website dropped or renamed them). Empty when all is well.';

-- The triggers' one way to record an event: append it to telegram.events, ring the
-- doorbell (one call: IF telegram.notifier_is_idle() THEN pg_notify). Called only by
-- the trigger functions (EXECUTE is revoked from PUBLIC), which pinned search_path
-- already: setting it again would cost every recorded write a GUC save and restore.
CREATE FUNCTION telegram.record_event(p_event telegram.events) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  p_event.recorded_at := clock_timestamp();
  INSERT INTO telegram.events SELECT (p_event).*;
  IF telegram.notifier_is_idle() THEN
    PERFORM pg_catalog.pg_notify('telegram_outbox', '');
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION telegram.tg_tuning_files__record_upload() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v telegram.events;
BEGIN
  BEGIN
    v.user_id := NEW."userId";
    v.subject_id := NEW.id;
    v.label := NEW."originalFilename";
    v.new_status := NEW.status::text;
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'telegram: upload not recorded: % (see SELECT * FROM telegram.missing_objects())', SQLERRM;
    RETURN NULL;
  END;
  v.source := 'file_insert';
  PERFORM telegram.record_event(v);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION telegram.tg_tuning_files__record_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
    v.user_id := NEW."userId";
    v.subject_id := NEW.id;
    v.label := NEW."originalFilename";
    v.old_status := OLD.status::text;
    v.new_status := NEW.status::text;
    v.old_eta := OLD."estimatedProcessingTime";
    v.new_eta := NEW."estimatedProcessingTime";
    v.old_eta_set_at := OLD."estimatedProcessingTimeSetAt";
    v.new_eta_set_at := NEW."estimatedProcessingTimeSetAt";
    v.comment := NEW."adminNotes";
    v.comment_changed := OLD."adminNotes" IS DISTINCT FROM NEW."adminNotes";
    v.old_payment := OLD."paymentStatus"::text;
    v.new_payment := NEW."paymentStatus"::text;
    v.modified_changed := NEW."modifiedR2Key" IS NOT NULL AND OLD."modifiedR2Key" IS DISTINCT FROM NEW."modifiedR2Key";
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'telegram: file change not recorded: % (see SELECT * FROM telegram.missing_objects())', SQLERRM;
    RETURN NEW;
  END;
  v.source := 'file_update';
  PERFORM telegram.record_event(v);
  RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION telegram.tg_orders__record_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
    v.user_id := NEW."userId";
    v.subject_id := NEW.id;
    v.label := NEW."orderNumber";
    v.old_status := OLD.status::text;
    v.new_status := NEW.status::text;
    v.old_tracking := OLD."trackingNumber";
    v.new_tracking := NEW."trackingNumber";
    v.old_cod := OLD."codStatus"::text;
    v.new_cod := NEW."codStatus"::text;
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'telegram: order change not recorded: % (see SELECT * FROM telegram.missing_objects())', SQLERRM;
    RETURN NEW;
  END;
  v.source := 'order_update';
  PERFORM telegram.record_event(v);
  RETURN NEW;
END
$$;

-- Fires on every payment INSERT and UPDATE (no WHEN clause) and records a payment that
-- becomes SUCCEEDED. Payments are rare, so this one may look up the order's customer.
CREATE OR REPLACE FUNCTION telegram.tg_payments__record_success() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
  v.source := 'payment';
  PERFORM telegram.record_event(v);
  RETURN NULL;
END
$$;

-- Fires on every INSERT, UPDATE and DELETE of users (no WHEN clause, no UPDATE OF) and
-- audits the ones that link, relink or unlink a chat. The actor is the app's
-- telegram.actor setting, else the role that connected (session_user: inside a
-- SECURITY DEFINER function current_user is the owner).
CREATE OR REPLACE FUNCTION telegram.tg_users__audit_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_actor text;
  v_user text;
  v_old text;
  v_new text;
BEGIN
  BEGIN
    IF TG_OP = 'DELETE' THEN
      v_user := OLD.id;
      v_old := OLD."telegramChatId";
    ELSE
      v_user := NEW.id;
      v_new := NEW."telegramChatId";
      IF TG_OP = 'UPDATE' THEN
        v_old := OLD."telegramChatId";
      END IF;
    END IF;
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'telegram: link not audited: % (see SELECT * FROM telegram.missing_objects())', SQLERRM;
    RETURN NULL;
  END;
  IF v_old IS NOT DISTINCT FROM v_new THEN
    RETURN NULL;
  END IF;
  v_actor := coalesce(nullif(current_setting('telegram.actor', true), ''), session_user::text);
  INSERT INTO telegram.link_audit (user_id, action, actor, old_chat_fingerprint, new_chat_fingerprint, detail)
  VALUES (v_user,
          CASE WHEN v_new IS NULL THEN 'unlink' WHEN v_old IS NULL THEN 'link' ELSE 'relink' END,
          v_actor, telegram.chat_fingerprint(v_old), telegram.chat_fingerprint(v_new),
          CASE WHEN TG_OP = 'DELETE' THEN 'user deleted'
               ELSE nullif(current_setting('telegram.audit_detail', true), '') END);
  RETURN NULL;
END
$$;

-- Deep links for a role granted EXECUTE on it alone (the website, later): it needs no
-- right on telegram.link_tokens. created_by: the role that connected.
CREATE OR REPLACE FUNCTION telegram.create_link_token(p_user_id text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_token text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM public.users WHERE id = p_user_id) THEN
    RAISE EXCEPTION 'no user with id %', p_user_id USING ERRCODE = 'no_data_found';
  END IF;
  v_token := rtrim(translate(encode(decode(
               replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'),
             'base64'), '+/', '-_'), '=');
  INSERT INTO telegram.link_tokens (token_hash, user_id, expires_at, created_by)
  VALUES (sha256(convert_to(v_token, 'UTF8')), p_user_id, now() + interval '15 minutes', session_user);
  RETURN v_token;
END
$$;

-- Triggers: the definitions in telegram.missing_objects(), without WHEN or UPDATE OF.
DROP TRIGGER IF EXISTS telegram_record_payment_received ON public.payments;
DROP TRIGGER IF EXISTS telegram_record_payment_succeeded ON public.payments;
DROP TRIGGER IF EXISTS telegram_audit_link ON public.users;
DROP TRIGGER IF EXISTS telegram_audit_link_on_insert ON public.users;
DROP TRIGGER IF EXISTS telegram_audit_unlink_on_delete ON public.users;
DO $$
DECLARE
  v_statement text;
BEGIN
  FOR v_statement IN
    SELECT s FROM telegram.missing_objects() m, unnest(m.repair) s WHERE m.kind = 'trigger'
  LOOP
    EXECUTE v_statement;
  END LOOP;
END
$$;

-- The DBAs' list of linked customers: the same name and columns, now a view over a
-- function, so PostgreSQL records no dependency on the users columns it reads.
DROP VIEW telegram.linked_customers;
CREATE FUNCTION telegram.linked_customers_now()
RETURNS TABLE (user_id text, email text, first_name text, last_name text,
               telegram_username text, linked_at timestamp(3), language text,
               muted_kinds text[], blocked_at timestamptz, chat_id_plaintext boolean)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT u.id::text, u.email::text, u."firstName"::text, u."lastName"::text,
         u."telegramUsername"::text, u."telegramLinkedAt",
         coalesce(p.language, u.language::text), coalesce(p.muted_kinds, '{}'::text[]),
         p.blocked_at, u."telegramChatId" NOT LIKE 'tg1:%'
    FROM public.users u
    LEFT JOIN telegram.chat_prefs p ON p.user_id = u.id
   WHERE u."telegramChatId" IS NOT NULL
$$;
COMMENT ON FUNCTION telegram.linked_customers_now() IS
  'The rows of the view telegram.linked_customers (a function, so that no website column depends on us).';
CREATE VIEW telegram.linked_customers AS SELECT * FROM telegram.linked_customers_now();
COMMENT ON VIEW telegram.linked_customers IS
  'Customers with a linked Telegram chat. chat_id_plaintext: stored by the old website code, not yet encrypted.';

-- The notifier's claim returns the customer's name, language, time zone and chat as
-- text: RETURN QUERY wants the declared types exactly, so once the website made
-- "firstName" a varchar(100) every claim failed ("structure of query does not match
-- function result type") and nothing was sent. The same function as 000010 otherwise.
CREATE OR REPLACE FUNCTION telegram.claim_batch(p_worker text, p_limit integer, p_per_customer integer, p_lease_seconds double precision, p_scan integer)
 RETURNS TABLE(id text, user_id text, kind text, subject_id text, label text, status_to text, eta_minutes integer, comment text, tracking_number text, cod_status text, paid boolean, attempts integer, created_at timestamp with time zone, first_name text, last_name text, language text, timezone text, chat text, user_exists boolean, muted_kinds text[], language_override text, quiet_start smallint, quiet_end smallint, blocked_at timestamp with time zone, skipped_reason text)
 LANGUAGE plpgsql
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

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA telegram FROM PUBLIC;
