--! Previous: sha1:5b88bde1be7b0ae9c683481bcbd4bbe3ba95aebb
--! Hash: sha1:05d1ba3dbae8bcfb9851ee507d0a664d0473da78
--! Message: doorbell-when-listening

-- The doorbell rings only when a notifier is listening and idle. Until now the triggers
-- rang unless a notifier held its busy locks, so with no notifier running every website
-- write paid a NOTIFY, which takes a database-wide lock at commit: pgbench of the
-- website's status UPDATE (8 clients) fell to 0.48 of its speed without our triggers.
--
-- The lock now means the opposite: a notifier holds sixteen "ring me" locks
-- (1952803941, 32..47), on a session of its own, while it LISTENs and is idle; nobody
-- holds them while it drains or when none runs. A writer probes the one its backend pid
-- picks with pg_try_advisory_xact_lock_shared and NOTIFYs only when that fails:
-- - no notifier (or a busy one): the probe succeeds and keeps a shared lock until the
--   writer's transaction ends; nothing else to do, no NOTIFY.
-- - a notifier listening and idle holds the lock (or waits for it): the probe fails,
--   holds nothing, and the writer NOTIFYs.
-- No lost wake-up: a notifier arms (telegram.notifier_set_busy(false)) with
-- pg_advisory_lock, which waits until every transaction that found the lock free has
-- ended; only then does it claim. So an event whose writer skipped the NOTIFY is
-- committed (or rolled back) before the claim that follows the arming, and every writer
-- that probes after the arming request was queued rings (a waiting exclusive request
-- makes a shared try fail). A notifier therefore LISTENs first, arms second, claims third.
--
-- Cost to a writer: one lock-table entry, taken once per transaction (a second probe in
-- the same transaction finds it in the backend's own table), given back at commit with
-- the transaction's other locks; no unlock call, no scan of pg_locks.
SET LOCAL lock_timeout = '5s';

CREATE OR REPLACE FUNCTION telegram.notifier_is_idle() RETURNS boolean
LANGUAGE sql VOLATILE PARALLEL RESTRICTED
AS $$
  SELECT NOT pg_catalog.pg_try_advisory_xact_lock_shared(1952803941, 32 + pg_catalog.pg_backend_pid() % 16)
$$;
COMMENT ON FUNCTION telegram.notifier_is_idle() IS
  'true when a notifier is listening and idle (it holds its ring locks (1952803941, 32..47), telegram.notifier_set_busy(false)): the triggers then NOTIFY telegram_outbox. When false, this transaction keeps a shared lock on one of them until it ends, so a notifier arming waits for its events.';

-- Called by a notifier on a connection of its own, after its LISTEN is in place.
-- false (idle): takes the ring locks, waiting for the writers that found them free;
-- once it returns, a claim sees every event that rang no bell. true (busy): gives them
-- back. Call them alternately (a lock taken twice needs two unlocks). Session locks: a
-- notifier that dies, or whose connection drops, lets go of them and the bell falls
-- silent; it drains when it comes back.
CREATE OR REPLACE FUNCTION telegram.notifier_set_busy(busy boolean) RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  IF busy THEN
    PERFORM pg_catalog.pg_advisory_unlock(1952803941, k) FROM pg_catalog.generate_series(32, 47) k;
  ELSE
    PERFORM pg_catalog.pg_advisory_lock(1952803941, k) FROM pg_catalog.generate_series(32, 47) k;
  END IF;
END
$$;
COMMENT ON FUNCTION telegram.notifier_set_busy(boolean) IS
  'false: this session listens and is idle, ring it: takes the ring locks (1952803941, 32..47), after every transaction that found them free has ended. true: gives them back; the triggers stop NOTIFYing. Call on the LISTEN side''s own connection, alternately.';
