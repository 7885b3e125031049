--! Previous: -
--! Hash: sha1:c2fa936898c129183542e94ec314c3e56f2908bb
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
  -- The unique index cannot be built over duplicates: say so, and how to find them.
  IF EXISTS (
    SELECT 1 FROM public.users WHERE "telegramChatId" IS NOT NULL
     GROUP BY "telegramChatId" HAVING count(*) > 1
  ) THEN
    RAISE EXCEPTION 'some Telegram chats are linked to more than one user; unlink the duplicates before migrating'
      USING HINT = 'Find them with: SELECT "telegramChatId", array_agg(id) FROM users WHERE "telegramChatId" IS NOT NULL GROUP BY 1 HAVING count(*) > 1;';
  END IF;
END
$$;
