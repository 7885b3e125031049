--! Previous: sha1:c2fa936898c129183542e94ec314c3e56f2908bb
--! Hash: sha1:6acf3d02d43277ce8dd4046efd8dc38d87b3091e
--! Message: telegram-chat-id-index

--! no-transaction
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "users_telegramChatId_key" ON public.users ("telegramChatId");
