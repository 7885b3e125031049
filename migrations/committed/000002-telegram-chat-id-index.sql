--! Previous: sha1:e45e3970af57fe68510146270509f8779eb1ff53
--! Hash: sha1:328ba32bf768b6b8c729151ea780e64a09b68c73
--! Message: telegram-chat-id-index

--! no-transaction
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "users_telegramChatId_key" ON public.users ("telegramChatId");
