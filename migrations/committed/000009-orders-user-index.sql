--! Previous: sha1:f58960d116574377a8923ab288b89cc1262c3efa
--! Hash: sha1:6cd11f91ca277e1ce7661812973b4e1e61aeab3e
--! Message: orders-user-index

--! no-transaction
-- The bot's /orders: a customer's five newest orders (WHERE "userId" = $1 ORDER BY
-- "createdAt" DESC LIMIT 5) without scanning orders. The name is the one Prisma gives
-- `@@index([userId, createdAt(sort: Desc)])` on the Order model (mapped to orders), so
-- the website can declare it in schema.prisma and see no drift.
-- One statement per no-transaction file (see 000008). Should a build fail halfway:
-- DROP INDEX CONCURRENTLY public."orders_userId_createdAt_idx", then migrate again.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "orders_userId_createdAt_idx" ON public.orders ("userId", "createdAt" DESC);
