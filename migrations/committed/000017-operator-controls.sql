--! Previous: sha1:8150593399b5d33a5f98529b8668bb6bde719826
--! Hash: sha1:cf85302d31b4b6d624e5788b7334fd6f3fcb4d1e
--! Message: operator-controls

-- Operator controls (issue 18): the rollout stage and the pause, changed at runtime
-- with a script or plain SQL, audited, and announced to running services on the
-- channel telegram_controls (they also re-read it every few seconds).
SET LOCAL lock_timeout = '5s';

-- One row. rollout_stage: who is notified and who may link.
--   internal: the website's staff (users.role ADMIN or SUPER_ADMIN) and the 'internal'
--             allow-list;
--   beta:     the above, the 'beta' allow-list and beta_percent % of the other customers
--             (chosen stably from a hash of users.id: raising the percentage only adds);
--   everyone: every customer (the default: an install that never uses it is unchanged).
-- paused_at: notifications paused since then (NULL: running). Command replies go on;
-- events wait in the outbox and are delivered in order on resume.
CREATE TABLE telegram.controls (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  rollout_stage text NOT NULL DEFAULT 'everyone'
    CHECK (rollout_stage IN ('internal', 'beta', 'everyone')),
  beta_percent integer NOT NULL DEFAULT 0 CHECK (beta_percent BETWEEN 0 AND 100),
  paused_at timestamptz,
  paused_reason text,
  changed_at timestamptz NOT NULL DEFAULT now(),
  changed_by text NOT NULL DEFAULT session_user
);
COMMENT ON TABLE telegram.controls IS
  'One row: the rollout stage (internal, beta, everyone), the beta percentage and the pause. Change it with the scripts or plain UPDATE; every change is audited in telegram.control_audit and seen by running services within seconds.';
INSERT INTO telegram.controls DEFAULT VALUES;

-- Who is in the internal and beta stages besides staff: a users.id or an email
-- (matched case-insensitively, as customers type it).
CREATE TABLE telegram.rollout_allow (
  stage text NOT NULL CHECK (stage IN ('internal', 'beta')),
  customer text NOT NULL CHECK (customer <> ''),
  added_at timestamptz NOT NULL DEFAULT now(),
  added_by text NOT NULL DEFAULT session_user,
  CONSTRAINT rollout_allow_pkey PRIMARY KEY (stage, customer)
);
COMMENT ON TABLE telegram.rollout_allow IS
  'Allow-lists of the internal and beta stages: customer is a users.id or an email (any case). The beta stage includes the internal list.';

-- Every change of the controls and allow-lists, whoever made it.
CREATE TABLE telegram.control_audit (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  old jsonb,
  new jsonb,
  detail text
);
COMMENT ON TABLE telegram.control_audit IS
  'Every change of telegram.controls and telegram.rollout_allow (trigger) and every operator action recorded by the scripts. actor: the telegram.actor setting, else the database role.';
CREATE INDEX control_audit_at_idx ON telegram.control_audit (at);

CREATE FUNCTION telegram.tg_controls__audit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_actor text := coalesce(nullif(current_setting('telegram.actor', true), ''), session_user::text);
  v_old jsonb;
  v_new jsonb;
BEGIN
  IF TG_OP <> 'INSERT' THEN v_old := to_jsonb(OLD); END IF;
  IF TG_OP <> 'DELETE' THEN v_new := to_jsonb(NEW); END IF;
  IF TG_TABLE_NAME = 'controls' THEN
    v_old := v_old - 'changed_at' - 'changed_by' - 'id';
    v_new := v_new - 'changed_at' - 'changed_by' - 'id';
    IF v_old IS NOT DISTINCT FROM v_new THEN
      RETURN NULL;
    END IF;
  END IF;
  INSERT INTO telegram.control_audit (actor, action, old, new, detail)
  VALUES (v_actor, TG_TABLE_NAME || ' ' || lower(TG_OP), v_old, v_new,
          nullif(current_setting('telegram.audit_detail', true), ''));
  PERFORM pg_notify('telegram_controls', TG_TABLE_NAME);
  RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION telegram.tg_controls__audit() FROM PUBLIC;

-- changed_at / changed_by follow every UPDATE, by script or by hand.
CREATE FUNCTION telegram.tg_controls__stamp() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  NEW.changed_at := now();
  NEW.changed_by := coalesce(nullif(current_setting('telegram.actor', true), ''), session_user::text);
  RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION telegram.tg_controls__stamp() FROM PUBLIC;

CREATE TRIGGER controls_stamp BEFORE UPDATE ON telegram.controls
  FOR EACH ROW EXECUTE FUNCTION telegram.tg_controls__stamp();
CREATE TRIGGER controls_audit AFTER UPDATE ON telegram.controls
  FOR EACH ROW EXECUTE FUNCTION telegram.tg_controls__audit();
CREATE TRIGGER rollout_allow_audit AFTER INSERT OR UPDATE OR DELETE ON telegram.rollout_allow
  FOR EACH ROW EXECUTE FUNCTION telegram.tg_controls__audit();

-- The customer's place (0..99) in the beta percentage: from the md5 of users.id, so the
-- same on every PostgreSQL and reproducible anywhere.
CREATE FUNCTION telegram.rollout_bucket(p_user_id text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT (('x' || substr(md5(p_user_id), 1, 8))::bit(32)::bigint % 100)::integer
$$;
REVOKE EXECUTE ON FUNCTION telegram.rollout_bucket(p_user_id text) FROM PUBLIC;
COMMENT ON FUNCTION telegram.rollout_bucket(p_user_id text) IS
  'The customer''s place (0..99) in the beta percentage: in the beta stage when below telegram.controls.beta_percent.';

-- Whether the rollout stage lets this customer be notified and link. A number from the
-- id's md5 (0..99, the same on every PostgreSQL and in any language) decides the beta
-- percentage, so a customer in at 10 % stays in at 20 %.
CREATE FUNCTION telegram.in_rollout(p_user_id text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT c.rollout_stage = 'everyone' OR EXISTS (
    SELECT 1 FROM public.users u
     WHERE u.id = p_user_id
       AND (u.role::text IN ('ADMIN', 'SUPER_ADMIN')
            OR EXISTS (SELECT 1 FROM telegram.rollout_allow a
                        WHERE (a.stage = 'internal' OR c.rollout_stage = 'beta')
                          AND (a.customer = u.id OR lower(a.customer) = lower(u.email)))
            OR (c.rollout_stage = 'beta'
                AND telegram.rollout_bucket(u.id) < c.beta_percent)))
  FROM telegram.controls c
$$;
REVOKE EXECUTE ON FUNCTION telegram.in_rollout(p_user_id text) FROM PUBLIC;
COMMENT ON FUNCTION telegram.in_rollout(p_user_id text) IS
  'Whether the rollout stage (telegram.controls) lets this customer be notified and link: everyone; or staff (role ADMIN, SUPER_ADMIN) and the internal allow-list; in beta also the beta allow-list and beta_percent % of customers (telegram.rollout_bucket).';
