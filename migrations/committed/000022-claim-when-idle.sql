--! Previous: sha1:44402067ab2693b0cd47ea2ccf15abacbdb5b274
--! Hash: sha1:f901c4206b694998f124de423b84083190c02ecf
--! Message: claim-when-idle

-- The claim when there is nothing to claim (issue 21). An idle notifier claims after
-- each answered NOTIFY (once its ring locks are back), on every slow-timer tick and at
-- the end of every drain: most of its claims find nothing, and each cost the backend
-- about 0.5 ms of CPU (the ingest, the skip step and the per-customer window, planned
-- and run over no rows; scripts/bench/claim-probe.ts). Now two index probes answer
-- "nothing" first, and only when something may be claimed does the claim run.
--
-- The claim itself is unchanged: it keeps its body under the name claim_batch_all (a
-- rename, so whatever definition an earlier migration left is the one kept), and
-- claim_batch becomes the check in front of it, with the same arguments and columns.
SET LOCAL lock_timeout = '5s';

ALTER FUNCTION telegram.claim_batch(text, integer, integer, double precision, integer) RENAME TO claim_batch_all;
COMMENT ON FUNCTION telegram.claim_batch_all(text, integer, integer, double precision, integer) IS
  'The claim (called by telegram.claim_batch when something may be claimed): ingests events, settles the skipped (returned first, skipped_reason set), leases due rows per customer in order (returned after).';

CREATE FUNCTION telegram.claim_batch(p_worker text, p_limit integer, p_per_customer integer, p_lease_seconds double precision, p_scan integer)
 RETURNS TABLE(id text, user_id text, kind text, subject_id text, label text, status_to text, eta_minutes integer, comment text, tracking_number text, cod_status text, paid boolean, attempts integer, created_at timestamp with time zone, first_name text, last_name text, language text, timezone text, chat text, user_exists boolean, muted_kinds text[], language_override text, quiet_start smallint, quiet_end smallint, blocked_at timestamp with time zone, skipped_reason text)
 LANGUAGE plpgsql
AS $$
BEGIN
  -- Nothing to claim: no new event, and no pending row that is due and free (a retry
  -- come due, a lease run out). Read without the claim lock: an event committed after
  -- this look rings the bell (or is waited for when the notifier takes its ring locks),
  -- and a claim follows.
  IF NOT EXISTS (SELECT FROM telegram.events)
     AND NOT EXISTS (SELECT FROM telegram.outbox o
                      WHERE o.status = 'pending'
                        AND (o.due_at IS NULL OR o.due_at <= now())
                        AND (o.locked_until IS NULL OR o.locked_until < now())) THEN
    RETURN;
  END IF;
  RETURN QUERY SELECT * FROM telegram.claim_batch_all(p_worker, p_limit, p_per_customer, p_lease_seconds, p_scan);
END
$$;
REVOKE EXECUTE ON FUNCTION telegram.claim_batch(text, integer, integer, double precision, integer) FROM PUBLIC;
COMMENT ON FUNCTION telegram.claim_batch(text, integer, integer, double precision, integer) IS
  'The notifier''s claim: answers nothing at once when nothing may be claimed; else telegram.claim_batch_all: ingests events, settles the skipped (returned first, skipped_reason set), leases due rows per customer in order (returned after). Leases expire, so calling it by hand delays those rows by the lease.';
