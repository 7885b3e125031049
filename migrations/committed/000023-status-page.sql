--! Previous: sha1:f901c4206b694998f124de423b84083190c02ecf
--! Hash: sha1:e467f5ac50fb4b1154b777c659cd3577d8465470
--! Message: status-page

-- The status page (issue 22) and scripts/stats.ts read the last days from these
-- functions, so that the page, the script and the DBA views never disagree: each
-- counts as its view does (delivery_daily as telegram.delivery_stats, linked_daily as
-- telegram.linked_customers_now()), over only the days asked for.
SET LOCAL lock_timeout = '5s';

-- Per UTC day and kind, as telegram.delivery_stats counts them, between two instants; the
-- rows with kind NULL are each day's totals over every kind (their percentiles are over
-- every message of the day, not a mean of the kinds').
CREATE FUNCTION telegram.delivery_between(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (day date, kind text, events bigint, sent bigint, failed bigint, skipped bigint,
               pending bigint, p50_latency_ms numeric, p99_latency_ms numeric)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET work_mem = '32MB'
AS $$
  SELECT (o.created_at AT TIME ZONE 'UTC')::date,
         o.kind,
         count(*),
         count(*) FILTER (WHERE o.status = 'sent'),
         count(*) FILTER (WHERE o.status = 'failed'),
         count(*) FILTER (WHERE o.status = 'skipped'),
         count(*) FILTER (WHERE o.status = 'pending'),
         round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM o.sent_at - o.created_at)::float8)
                FILTER (WHERE o.status = 'sent') * 1000)::numeric, 1),
         round((percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM o.sent_at - o.created_at)::float8)
                FILTER (WHERE o.status = 'sent') * 1000)::numeric, 1)
    FROM telegram.outbox o
   WHERE o.created_at >= p_from AND o.created_at < p_to
   GROUP BY GROUPING SETS (((o.created_at AT TIME ZONE 'UTC')::date, o.kind),
                           ((o.created_at AT TIME ZONE 'UTC')::date))
$$;
REVOKE EXECUTE ON FUNCTION telegram.delivery_between(timestamptz, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION telegram.delivery_between(timestamptz, timestamptz) IS
  'telegram.delivery_stats for the messages created from p_from to before p_to, plus each day''s totals over every kind (kind NULL).';

-- The finished days of telegram.delivery_between(), kept so that the status page does not
-- sort a month of messages for their latency at every look (a year of history: about 80,000
-- messages a month). A day is kept once it is over by a whole day (a message is sent or
-- given up within 24 h) and none of its messages is pending (a pause can hold them longer);
-- a later change of one of its messages (a failed one sent again, an event ingested late)
-- removes the day, which is then counted again. kind '' is the day's totals. Days that
-- OUTBOX_RETENTION_DAYS removed from the outbox stay here (the chart keeps them).
CREATE TABLE telegram.delivery_days (
  day date NOT NULL,
  kind text NOT NULL,
  events bigint NOT NULL,
  sent bigint NOT NULL,
  failed bigint NOT NULL,
  skipped bigint NOT NULL,
  pending bigint NOT NULL,
  p50_latency_ms numeric,
  p99_latency_ms numeric,
  counted_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT delivery_days_pkey PRIMARY KEY (day, kind)
);
COMMENT ON TABLE telegram.delivery_days IS
  'Finished UTC days of telegram.delivery_stats, kept for the status page (kind '''' = every kind). Safe to empty: telegram.delivery_daily() counts missing days again.';

-- Forgets the day of a message that changed after its day was kept.
CREATE FUNCTION telegram.tg_outbox__forget_day() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  DELETE FROM telegram.delivery_days
   WHERE day = (coalesce(OLD.created_at, NEW.created_at) AT TIME ZONE 'UTC')::date;
  RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION telegram.tg_outbox__forget_day() FROM PUBLIC;

-- Only old messages fire these: the notifier's own updates (pending -> sent, failed,
-- skipped) and inserts of fresh events skip them in the WHEN test.
CREATE TRIGGER outbox_forget_day_on_change AFTER UPDATE OF status ON telegram.outbox
  FOR EACH ROW WHEN (OLD.status <> 'pending' AND OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION telegram.tg_outbox__forget_day();
CREATE TRIGGER outbox_forget_day_on_late_insert AFTER INSERT ON telegram.outbox
  FOR EACH ROW WHEN (NEW.created_at < now() - interval '1 day')
  EXECUTE FUNCTION telegram.tg_outbox__forget_day();

-- telegram.delivery_stats for the last p_days UTC days (today included), plus each day's
-- totals (kind NULL): the finished days from telegram.delivery_days (counted and kept
-- there first when missing), the others counted now.
CREATE FUNCTION telegram.delivery_daily(p_days integer)
RETURNS TABLE (day date, kind text, events bigint, sent bigint, failed bigint, skipped bigint,
               pending bigint, p50_latency_ms numeric, p99_latency_ms numeric)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  v_today date := (now() AT TIME ZONE 'UTC')::date;
  v_day date;
  v_from timestamptz;
  v_to timestamptz;
BEGIN
  FOR v_day IN
    SELECT d::date FROM generate_series(v_today - (p_days - 1), v_today, interval '1 day') d
     WHERE NOT EXISTS (SELECT 1 FROM telegram.delivery_days k WHERE k.day = d::date)
  LOOP
    v_from := v_day::timestamp AT TIME ZONE 'UTC';
    v_to := (v_day + 1)::timestamp AT TIME ZONE 'UTC';
    IF v_day < v_today - 1 AND NOT EXISTS (
         SELECT 1 FROM telegram.outbox o
          WHERE o.status = 'pending' AND o.created_at >= v_from AND o.created_at < v_to) THEN
      INSERT INTO telegram.delivery_days AS k
             (day, kind, events, sent, failed, skipped, pending, p50_latency_ms, p99_latency_ms)
      SELECT b.day, coalesce(b.kind, ''), b.events, b.sent, b.failed, b.skipped, b.pending,
             b.p50_latency_ms, b.p99_latency_ms
        FROM telegram.delivery_between(v_from, v_to) b
      ON CONFLICT ON CONSTRAINT delivery_days_pkey DO NOTHING;
    ELSE
      RETURN QUERY SELECT * FROM telegram.delivery_between(v_from, v_to);
    END IF;
  END LOOP;
  RETURN QUERY
    SELECT k.day, nullif(k.kind, ''), k.events, k.sent, k.failed, k.skipped, k.pending,
           k.p50_latency_ms, k.p99_latency_ms
      FROM telegram.delivery_days k
     WHERE k.day >= v_today - (p_days - 1) AND k.day < v_today - 1;
END
$$;
REVOKE EXECUTE ON FUNCTION telegram.delivery_daily(integer) FROM PUBLIC;
COMMENT ON FUNCTION telegram.delivery_daily(integer) IS
  'telegram.delivery_stats for the last p_days UTC days (today included), plus each day''s totals over every kind (kind NULL); finished days are kept in telegram.delivery_days. Read by the status page and scripts/stats.ts. Rows in no particular order.';

-- Customers linked now, per day of the last p_days days (the database's current_date):
-- how many linked that day and how many were linked at its end. A customer who unlinked
-- is no longer counted on any day (users keeps no history); one linked before
-- telegramLinkedAt existed counts from the start.
CREATE FUNCTION telegram.linked_daily(p_days integer)
RETURNS TABLE (day date, linked bigint, total bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  WITH per_day AS MATERIALIZED (
    -- linked_customers_now()'s rows (the same WHERE), without its other columns and join.
    SELECT u."telegramLinkedAt"::date AS day, count(*) AS n
      FROM public.users u WHERE u."telegramChatId" IS NOT NULL GROUP BY 1
  ), days AS (
    SELECT (current_date - i)::date AS day FROM generate_series(0, p_days - 1) i
  )
  SELECT d.day,
         coalesce((SELECT p.n FROM per_day p WHERE p.day = d.day), 0)::bigint,
         coalesce((SELECT sum(p.n) FROM per_day p WHERE p.day IS NULL OR p.day <= d.day), 0)::bigint
    FROM days d
   ORDER BY d.day
$$;
REVOKE EXECUTE ON FUNCTION telegram.linked_daily(integer) FROM PUBLIC;
COMMENT ON FUNCTION telegram.linked_daily(integer) IS
  'Customers linked now (telegram.linked_customers), per day of the last p_days days: linked that day, and linked at the day''s end. Read by the status page and scripts/stats.ts.';

-- The status page lists the latest failures: few rows, found without reading the rest.
CREATE INDEX outbox_failed_idx ON telegram.outbox (id) WHERE status = 'failed';
