--! Previous: sha1:3bd65dee4667c5b2a8138f349db494c5fab60fc2
--! Hash: sha1:532ff6a8547feafe44f96f68ed8e649b7f1450d4
--! Message: outbox-room-to-update

-- Room on the outbox's pages for the rows' next versions (issue 21, drain CPU).
--
-- Every outbox row is written three times: inserted by the claim's ingest, leased
-- (locked_until, locked_by, attempts) and marked sent, failed or skipped. The rows are
-- inserted in id order and packed full, so the lease's new row version went to another
-- page with a new entry in each of the table's indexes, although it changes no indexed
-- column: half the lease query's buffer work (EXPLAIN and pg_stat_statements in the middle
-- of a drain of 20,000: 7,432-9,482 buffer hits per claim of 500, 3,807 with this setting;
-- docs/benchmarks.md, "Drain CPU per message"). With half of each new page left free the
-- lease is a HOT update on the same page, and the final status change's version lands
-- on that page too. The cost: new pages hold half as many rows (telegram.retention
-- deletes old rows and VACUUM reuses their room). Existing pages are left as they are.
SET LOCAL lock_timeout = '5s';

ALTER TABLE telegram.outbox SET (fillfactor = 50);
