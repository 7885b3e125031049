--! Previous: sha1:cf85302d31b4b6d624e5788b7334fd6f3fcb4d1e
--! Hash: sha1:303faad41df7e4e263f928de3968ce1adaf994e2
--! Message: status-page

-- The status page (issue 22) and scripts/stats.ts read the last days from these
-- functions, so that the page, the script and the DBA views never disagree: each
-- counts as its view does (delivery_daily as telegram.delivery_stats, linked_daily from
-- telegram.linked_customers_now()), over only the days asked for, which an index finds.
SET LOCAL lock_timeout = '5s';

-- Per UTC day and kind, as telegram.delivery_stats counts them, for the last p_days days
-- (today included); the rows with kind NULL are the day's totals over every kind (their
-- latency percentiles are over every message of the day, not a mean of the kinds').
CREATE FUNCTION telegram.delivery_daily(p_days integer)
RETURNS TABLE (day date, kind text, events bigint, sent bigint, failed bigint, skipped bigint,
               pending bigint, p50_latency_ms numeric, p99_latency_ms numeric)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
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
   WHERE o.created_at >= ((now() AT TIME ZONE 'UTC')::date - (p_days - 1)) AT TIME ZONE 'UTC'
   GROUP BY GROUPING SETS (((o.created_at AT TIME ZONE 'UTC')::date, o.kind),
                           ((o.created_at AT TIME ZONE 'UTC')::date))
   ORDER BY 1, 2 NULLS FIRST
$$;
REVOKE EXECUTE ON FUNCTION telegram.delivery_daily(integer) FROM PUBLIC;
COMMENT ON FUNCTION telegram.delivery_daily(integer) IS
  'telegram.delivery_stats for the last p_days UTC days (today included), plus each day''s totals over every kind (kind NULL). Read by the status page and scripts/stats.ts.';

-- Customers linked now, per day of the last p_days days (the database's current_date):
-- how many linked that day and how many were linked at its end. A customer who unlinked
-- is no longer counted on any day (users keeps no history); one linked before
-- telegramLinkedAt existed counts from the start.
CREATE FUNCTION telegram.linked_daily(p_days integer)
RETURNS TABLE (day date, linked bigint, total bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  WITH l AS MATERIALIZED (
    SELECT linked_at::date AS day FROM telegram.linked_customers_now()
  ), days AS (
    SELECT (current_date - n)::date AS day FROM generate_series(0, p_days - 1) n
  )
  SELECT d.day,
         (SELECT count(*) FROM l WHERE l.day = d.day),
         (SELECT count(*) FROM l WHERE l.day IS NULL OR l.day <= d.day)
    FROM days d
   ORDER BY d.day
$$;
REVOKE EXECUTE ON FUNCTION telegram.linked_daily(integer) FROM PUBLIC;
COMMENT ON FUNCTION telegram.linked_daily(integer) IS
  'Customers linked now (telegram.linked_customers), per day of the last p_days days: linked that day, and linked at the day''s end. Read by the status page and scripts/stats.ts.';

-- The status page lists the latest failures: few rows, found without reading the rest.
CREATE INDEX outbox_failed_idx ON telegram.outbox (id) WHERE status = 'failed';
