--! Previous: sha1:d01643630642eb438a4575631f4afaa44d5e3838
--! Hash: sha1:f58960d116574377a8923ab288b89cc1262c3efa
--! Message: tuning-files-user-index

--! no-transaction
-- The bot's /files: a customer's five newest files (WHERE "userId" = $1 ORDER BY
-- "createdAt" DESC LIMIT 5) without scanning tuning_files. The name is the one Prisma gives
-- `@@index([userId, createdAt(sort: Desc)])` on the TuningFile model (mapped to
-- tuning_files), so the website can declare it in schema.prisma and see no drift.
-- graphile-migrate runs a no-transaction migration as one query, which PostgreSQL wraps
-- in a transaction block when it holds several statements: one statement per file
-- (orders' index is 000009). CONCURRENTLY: the website keeps writing while it builds.
-- Should a build fail halfway, it leaves an INVALID index that IF NOT EXISTS would keep:
-- DROP INDEX CONCURRENTLY public."tuning_files_userId_createdAt_idx", then migrate again.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "tuning_files_userId_createdAt_idx" ON public.tuning_files ("userId", "createdAt" DESC);
