--! Previous: sha1:6acf3d02d43277ce8dd4046efd8dc38d87b3091e
--! Hash: sha1:4593c200ea039463b721307e5144884c574990c9
--! Message: telegram-schema

-- Everything of the customer bot except the three users columns, their unique
-- constraint and the triggers lives in schema "telegram": Prisma owns "public".
SET LOCAL lock_timeout = '5s';

-- 1. users_telegramChatId_key as a UNIQUE constraint. By now an index of that name
--    exists (made by hand as a constraint, by `prisma db push`, or by the previous
--    migration); attaching an existing index as a constraint needs no table scan.
DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_constraint
     WHERE conrelid = 'public.users'::regclass AND conname = 'users_telegramChatId_key'
  ) THEN
    ALTER TABLE public.users
      ADD CONSTRAINT "users_telegramChatId_key" UNIQUE USING INDEX "users_telegramChatId_key";
  END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS telegram;
COMMENT ON SCHEMA telegram IS
  'CompuCar customer bot: outbox of customer notifications, link audit, link tokens and codes, chat preferences, usage counters, DBA views.';

-- 2. Events. The triggers below append one row per customer-facing change to
--    telegram.events, in the website's own transaction. That table is the website's
--    cost, so it is as cheap to write as a table can be: no index, no sequence, raw
--    copies of the changed values and no logic. The notifier moves the rows, in
--    batches, into telegram.outbox (telegram.ingest_events()), where each becomes one
--    message with a kind, its facts, an id in recorded order and a delivery state.
CREATE TABLE telegram.events (
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  source text NOT NULL,
  user_id text NOT NULL,
  subject_id text NOT NULL,
  label text,
  old_status text,
  new_status text,
  old_eta integer,
  new_eta integer,
  old_eta_set_at timestamp(3),
  new_eta_set_at timestamp(3),
  comment text,
  comment_changed boolean,
  old_payment text,
  new_payment text,
  modified_changed boolean,
  old_tracking text,
  new_tracking text,
  old_cod text,
  new_cod text
);
COMMENT ON TABLE telegram.events IS
  'Append-only intake written by the triggers (source: file_insert, file_update, order_update, payment). Emptied by telegram.ingest_events() into telegram.outbox; rows here are events not yet seen by a notifier.';

CREATE TABLE telegram.outbox (
  id bigint GENERATED ALWAYS AS IDENTITY,
  user_id text NOT NULL,
  kind text NOT NULL,
  subject_id text NOT NULL,
  label text,
  status_to text,
  eta_minutes integer,
  eta_set_at timestamp(3),
  comment text,
  tracking_number text,
  cod_status text,
  paid boolean,
  status text NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  due_at timestamptz,
  locked_until timestamptz,
  locked_by text,
  sent_at timestamptz,
  last_error text,
  telegram_message_id bigint,
  CONSTRAINT outbox_pkey PRIMARY KEY (id),
  CONSTRAINT outbox_status_check CHECK (status IN ('pending', 'sent', 'failed', 'skipped'))
);
COMMENT ON TABLE telegram.outbox IS
  'One row per message a customer is told. status: pending (due at due_at, or now when NULL), sent, failed (permanent error, see last_error), skipped (no linked chat, muted kind, blocked chat: reason in last_error). created_at is when the website recorded the event.';
COMMENT ON COLUMN telegram.outbox.kind IS
  'file_uploaded, file_status, file_eta, file_comment, file_paid, order_status, order_shipping, payment_received';
COMMENT ON COLUMN telegram.outbox.subject_id IS 'tuning_files.id, or orders.id for order and payment events';
COMMENT ON COLUMN telegram.outbox.label IS 'originalFilename of the file or orderNumber of the order, at the time of the event';
CREATE INDEX outbox_pending_idx ON telegram.outbox (id) WHERE status = 'pending';
CREATE INDEX outbox_created_at_idx ON telegram.outbox (created_at);

-- Moves every visible row of telegram.events into telegram.outbox, oldest first, as
-- one message per website change: the headline kind by priority (status, estimate,
-- comment, payment) and every fact that changed with it. Returns how many it moved.
-- Notifiers call it inside their claim transaction, serialized by their lock.
CREATE FUNCTION telegram.ingest_events() RETURNS integer
LANGUAGE sql VOLATILE
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
           END AS kind
      FROM facts f
  ), inserted AS (
    INSERT INTO telegram.outbox
      (user_id, kind, subject_id, label, status_to, eta_minutes, eta_set_at, comment, tracking_number, cod_status, paid, created_at)
    SELECT c.user_id, c.kind, c.subject_id, c.label,
           CASE WHEN c.source IN ('file_insert', 'payment') OR c.status_changed THEN c.new_status END,
           CASE WHEN c.eta_changed THEN c.new_eta END,
           CASE WHEN c.eta_changed THEN c.new_eta_set_at END,
           CASE WHEN c.commented THEN c.comment END,
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
COMMENT ON FUNCTION telegram.ingest_events() IS
  'Moves telegram.events into telegram.outbox (one message per website change, in recorded order). Called by the notifier; safe to call by hand.';

-- 3. Link audit: every link, relink, unlink and block, by whoever did it. Chat ids are
--    never stored, only a salted fingerprint that tells "same chat as before" apart.
CREATE TABLE telegram.link_audit (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  user_id text NOT NULL,
  action text NOT NULL CHECK (action IN ('link', 'relink', 'unlink', 'block', 'unblock')),
  actor text NOT NULL,
  old_chat_fingerprint text,
  new_chat_fingerprint text,
  detail text
);
CREATE INDEX link_audit_user_id_idx ON telegram.link_audit (user_id, at);
COMMENT ON TABLE telegram.link_audit IS
  'Every change of users."telegramChatId" (trigger) and every block seen by the notifier. actor: the telegram.actor setting of the app (bot, website...) or else the database role.';

CREATE TABLE telegram.audit_salt (
  salt text NOT NULL,
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row)
);
INSERT INTO telegram.audit_salt (salt) VALUES (gen_random_uuid()::text || gen_random_uuid()::text);

CREATE FUNCTION telegram.chat_fingerprint(stored text) RETURNS text
LANGUAGE sql STABLE STRICT
AS $$
  SELECT left(encode(sha256(convert_to((SELECT salt FROM telegram.audit_salt) || stored, 'UTF8')), 'hex'), 16)
$$;

-- 4. Deep-link tokens and email codes: stored hashed, short-lived, single use.
CREATE TABLE telegram.link_tokens (
  token_hash bytea PRIMARY KEY,
  user_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_by text NOT NULL DEFAULT current_user
);
CREATE INDEX link_tokens_user_id_idx ON telegram.link_tokens (user_id);

CREATE TABLE telegram.link_codes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  chat_fingerprint text NOT NULL,
  user_id text,
  email text NOT NULL,
  code_hash bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  used_at timestamptz
);
CREATE INDEX link_codes_chat_idx ON telegram.link_codes (chat_fingerprint, created_at);
CREATE INDEX link_codes_email_idx ON telegram.link_codes (lower(email), created_at);
COMMENT ON TABLE telegram.link_codes IS
  'Email verification codes (hashed). user_id is NULL when the email is not registered: the request is recorded all the same so answers and rate limits do not reveal it.';

-- 5. Per-customer preferences.
CREATE TABLE telegram.chat_prefs (
  user_id text PRIMARY KEY,
  muted_kinds text[] NOT NULL DEFAULT '{}',
  language text,
  quiet_hours_start smallint CHECK (quiet_hours_start BETWEEN 0 AND 23),
  quiet_hours_end smallint CHECK (quiet_hours_end BETWEEN 0 AND 23),
  blocked_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN telegram.chat_prefs.muted_kinds IS 'any of: files, orders, payments';

-- 6. Usage counters (one row per day and command; one per day and chat).
CREATE TABLE telegram.command_usage (
  day date NOT NULL,
  command text NOT NULL,
  uses bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (day, command)
);
CREATE TABLE telegram.chat_activity (
  day date NOT NULL,
  chat_fingerprint text NOT NULL,
  linked boolean NOT NULL DEFAULT false,
  updates integer NOT NULL DEFAULT 0,
  PRIMARY KEY (day, chat_fingerprint)
);

-- 7. telegram.create_link_token(user_id): a single-use deep-link token for
--    https://t.me/<bot>?start=<token>, valid 15 minutes; 244 random bits, base64url,
--    43 characters. Only its SHA-256 is stored.
CREATE FUNCTION telegram.create_link_token(p_user_id text) RETURNS text
LANGUAGE plpgsql VOLATILE
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
  INSERT INTO telegram.link_tokens (token_hash, user_id, expires_at)
  VALUES (sha256(convert_to(v_token, 'UTF8')), p_user_id, now() + interval '15 minutes');
  RETURN v_token;
END
$$;
COMMENT ON FUNCTION telegram.create_link_token(text) IS
  'Returns a single-use token for https://t.me/<bot>?start=<token> that links the Telegram chat that opens it to this user. Valid 15 minutes.';

-- 8. Triggers on the website's tables. Each one is an AFTER ROW trigger whose WHEN
--    clause filters in the executor, so the function only runs for a change the
--    customer is told about (an UPDATE that only bumps "updatedAt" costs nothing).
--    The functions never raise on odd data: they copy values into telegram.events,
--    with no logic, no casts that can fail, no lookups beyond the order of a payment.
-- The doorbell. NOTIFY takes a database-wide lock at commit that serializes every
-- notifying transaction, so the triggers ring only when no notifier is busy: a busy
-- notifier holds the session advisory lock (1952803941 'tele', 1) and finds the new
-- rows anyway. Trying the lock in shared mode and letting go at once costs far less
-- than reading a table, and a notifier that dies releases it, so the bell rings again.
-- A one-expression SQL function: the planner inlines it into the triggers' IF.
CREATE FUNCTION telegram.notifier_is_idle() RETURNS boolean
LANGUAGE sql VOLATILE PARALLEL RESTRICTED
AS $$
  SELECT CASE WHEN pg_try_advisory_lock_shared(1952803941, 1)
              THEN pg_advisory_unlock_shared(1952803941, 1)
              ELSE false END
$$;
COMMENT ON FUNCTION telegram.notifier_is_idle() IS
  'true when no notifier holds the busy lock (pg_advisory_lock(1952803941, 1)): the triggers then NOTIFY telegram_outbox.';

CREATE FUNCTION telegram.tg_tuning_files__record_upload() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO telegram.events (source, user_id, subject_id, label, new_status)
  VALUES ('file_insert', NEW."userId", NEW.id, NEW."originalFilename", NEW.status);
  IF telegram.notifier_is_idle() THEN
    PERFORM pg_notify('telegram_outbox', '');
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION telegram.tg_tuning_files__record_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO telegram.events
    (source, user_id, subject_id, label, old_status, new_status, old_eta, new_eta,
     old_eta_set_at, new_eta_set_at, comment, comment_changed, old_payment, new_payment,
     modified_changed)
  VALUES ('file_update', NEW."userId", NEW.id, NEW."originalFilename", OLD.status, NEW.status,
          OLD."estimatedProcessingTime", NEW."estimatedProcessingTime",
          OLD."estimatedProcessingTimeSetAt", NEW."estimatedProcessingTimeSetAt",
          NEW."adminNotes", OLD."adminNotes" IS DISTINCT FROM NEW."adminNotes",
          OLD."paymentStatus", NEW."paymentStatus",
          OLD."modifiedR2Key" IS DISTINCT FROM NEW."modifiedR2Key");
  IF telegram.notifier_is_idle() THEN
    PERFORM pg_notify('telegram_outbox', '');
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER telegram_record_file_upload
  AFTER INSERT ON public.tuning_files
  FOR EACH ROW EXECUTE FUNCTION telegram.tg_tuning_files__record_upload();

CREATE TRIGGER telegram_record_file_change
  AFTER UPDATE ON public.tuning_files
  FOR EACH ROW
  WHEN (
    OLD.status IS DISTINCT FROM NEW.status
    OR (NEW."modifiedR2Key" IS NOT NULL AND OLD."modifiedR2Key" IS DISTINCT FROM NEW."modifiedR2Key")
    OR (NEW."estimatedProcessingTime" IS NOT NULL
        AND (OLD."estimatedProcessingTime" IS DISTINCT FROM NEW."estimatedProcessingTime"
             OR OLD."estimatedProcessingTimeSetAt" IS DISTINCT FROM NEW."estimatedProcessingTimeSetAt"))
    OR (OLD."adminNotes" IS DISTINCT FROM NEW."adminNotes" AND NEW."adminNotes" ~ '[^[:space:]]')
    OR (NEW."paymentStatus" = 'PAID' AND OLD."paymentStatus" IS DISTINCT FROM NEW."paymentStatus")
  )
  EXECUTE FUNCTION telegram.tg_tuning_files__record_change();

CREATE FUNCTION telegram.tg_orders__record_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO telegram.events
    (source, user_id, subject_id, label, old_status, new_status, old_tracking, new_tracking, old_cod, new_cod)
  VALUES ('order_update', NEW."userId", NEW.id, NEW."orderNumber", OLD.status, NEW.status,
          OLD."trackingNumber", NEW."trackingNumber", OLD."codStatus", NEW."codStatus");
  IF telegram.notifier_is_idle() THEN
    PERFORM pg_notify('telegram_outbox', '');
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER telegram_record_order_change
  AFTER UPDATE ON public.orders
  FOR EACH ROW
  WHEN (
    NEW."userId" IS NOT NULL AND (
      (OLD.status IS DISTINCT FROM NEW.status AND NEW.status <> 'PENDING')
      OR (OLD."trackingNumber" IS DISTINCT FROM NEW."trackingNumber" AND NEW."trackingNumber" ~ '[^[:space:]]')
      OR (OLD."codStatus" IS DISTINCT FROM NEW."codStatus" AND NEW."codStatus" IN ('DISPATCHED', 'DELIVERED'))
    )
  )
  EXECUTE FUNCTION telegram.tg_orders__record_change();

-- Payments are rare, so this one may look up the order's customer.
CREATE FUNCTION telegram.tg_payments__record_success() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO telegram.events (source, user_id, subject_id, label, new_status)
  SELECT 'payment', o."userId", o.id, o."orderNumber", NEW.status
    FROM public.orders o
   WHERE o.id = NEW."orderId" AND o."userId" IS NOT NULL;
  IF telegram.notifier_is_idle() THEN
    PERFORM pg_notify('telegram_outbox', '');
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER telegram_record_payment_received
  AFTER INSERT ON public.payments
  FOR EACH ROW WHEN (NEW.status = 'SUCCEEDED')
  EXECUTE FUNCTION telegram.tg_payments__record_success();

CREATE TRIGGER telegram_record_payment_succeeded
  AFTER UPDATE ON public.payments
  FOR EACH ROW WHEN (NEW.status = 'SUCCEEDED' AND OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION telegram.tg_payments__record_success();

-- 9. Audit of links, whoever makes them: the bot (SET LOCAL telegram.actor = 'bot'),
--    the website, or a DBA typing UPDATE by hand (then the database role is the actor).
--    SET LOCAL telegram.audit_detail = '...' adds a note (e.g. why a chat was relinked).
CREATE FUNCTION telegram.tg_users__audit_link() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  v_actor text := coalesce(nullif(current_setting('telegram.actor', true), ''), current_user::text);
  v_old text;
  v_new text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO telegram.link_audit (user_id, action, actor, old_chat_fingerprint, detail)
    VALUES (OLD.id, 'unlink', v_actor, telegram.chat_fingerprint(OLD."telegramChatId"), 'user deleted');
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    v_old := OLD."telegramChatId";
  END IF;
  v_new := NEW."telegramChatId";
  INSERT INTO telegram.link_audit (user_id, action, actor, old_chat_fingerprint, new_chat_fingerprint, detail)
  VALUES (NEW.id,
          CASE WHEN v_new IS NULL THEN 'unlink' WHEN v_old IS NULL THEN 'link' ELSE 'relink' END,
          v_actor, telegram.chat_fingerprint(v_old), telegram.chat_fingerprint(v_new),
          nullif(current_setting('telegram.audit_detail', true), ''));
  RETURN NULL;
END
$$;

CREATE TRIGGER telegram_audit_link
  AFTER UPDATE OF "telegramChatId" ON public.users
  FOR EACH ROW WHEN (OLD."telegramChatId" IS DISTINCT FROM NEW."telegramChatId")
  EXECUTE FUNCTION telegram.tg_users__audit_link();

CREATE TRIGGER telegram_audit_link_on_insert
  AFTER INSERT ON public.users
  FOR EACH ROW WHEN (NEW."telegramChatId" IS NOT NULL)
  EXECUTE FUNCTION telegram.tg_users__audit_link();

CREATE TRIGGER telegram_audit_unlink_on_delete
  AFTER DELETE ON public.users
  FOR EACH ROW WHEN (OLD."telegramChatId" IS NOT NULL)
  EXECUTE FUNCTION telegram.tg_users__audit_link();

-- 10. Views for DBAs. No chat ids in any of them.
CREATE VIEW telegram.linked_customers AS
SELECT u.id AS user_id,
       u.email,
       u."firstName" AS first_name,
       u."lastName" AS last_name,
       u."telegramUsername" AS telegram_username,
       u."telegramLinkedAt" AS linked_at,
       coalesce(p.language, u.language) AS language,
       coalesce(p.muted_kinds, '{}') AS muted_kinds,
       p.blocked_at,
       u."telegramChatId" NOT LIKE 'tg1:%' AS chat_id_plaintext
  FROM public.users u
  LEFT JOIN telegram.chat_prefs p ON p.user_id = u.id
 WHERE u."telegramChatId" IS NOT NULL;
COMMENT ON VIEW telegram.linked_customers IS
  'Customers with a linked Telegram chat. chat_id_plaintext: stored by the old website code, not yet encrypted.';

CREATE VIEW telegram.delivery_stats AS
SELECT (o.created_at AT TIME ZONE 'UTC')::date AS day,
       o.kind,
       count(*) AS events,
       count(*) FILTER (WHERE o.status = 'sent') AS sent,
       count(*) FILTER (WHERE o.status = 'failed') AS failed,
       count(*) FILTER (WHERE o.status = 'skipped') AS skipped,
       count(*) FILTER (WHERE o.status = 'pending') AS pending,
       round(100.0 * count(*) FILTER (WHERE o.status = 'sent')
             / nullif(count(*) FILTER (WHERE o.status IN ('sent', 'failed')), 0), 2) AS success_rate_pct,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM o.sent_at - o.created_at))
              FILTER (WHERE o.status = 'sent') * 1000)::numeric, 1) AS p50_latency_ms,
       round((percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM o.sent_at - o.created_at))
              FILTER (WHERE o.status = 'sent') * 1000)::numeric, 1) AS p99_latency_ms
  FROM telegram.outbox o
 GROUP BY 1, 2;
COMMENT ON VIEW telegram.delivery_stats IS
  'Per UTC day and kind: events, outcome counts, success rate = sent / (sent + failed) in percent, latency from the website''s transaction start to Telegram accepting the message.';

CREATE VIEW telegram.command_stats AS
SELECT day, command, uses FROM telegram.command_usage;

CREATE VIEW telegram.engagement AS
SELECT day,
       count(*) AS active_chats,
       count(*) FILTER (WHERE linked) AS active_linked_chats,
       sum(updates) AS updates
  FROM telegram.chat_activity
 GROUP BY day;
