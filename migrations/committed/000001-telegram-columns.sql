--! Previous: -
--! Hash: sha1:e45e3970af57fe68510146270509f8779eb1ff53
--! Message: telegram-columns

-- The three Telegram columns on the website's users table. Converges from every
-- starting point seen in production: columns missing, added by hand with the guide's
-- ALTER TABLE, or created by `prisma db push`. Adding a nullable column without a
-- default only touches the catalogue, so the lock is brief; lock_timeout makes the
-- migration give up (and be retried) instead of queueing the website's writes behind it.
SET LOCAL lock_timeout = '5s';

ALTER TABLE public.users
  ADD COLUMN IF NOT EXISTS "telegramChatId" TEXT,
  ADD COLUMN IF NOT EXISTS "telegramUsername" TEXT,
  ADD COLUMN IF NOT EXISTS "telegramLinkedAt" TIMESTAMP(3);

-- A CREATE INDEX CONCURRENTLY that failed half way leaves an INVALID index behind,
-- which IF NOT EXISTS in the next migration would wrongly accept: drop it first.
DO $$
BEGIN
  IF EXISTS (
    SELECT 1
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = 'public.users'::regclass
       AND c.relname = 'users_telegramChatId_key'
       AND NOT i.indisvalid
  ) THEN
    DROP INDEX public."users_telegramChatId_key";
  END IF;
END
$$;
