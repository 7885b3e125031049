--! Previous: sha1:58af9352b094ecc5f38f6a289c3cce6bc7d22f64
--! Hash: sha1:8150593399b5d33a5f98529b8668bb6bde719826
--! Message: website-linker-watch

-- Switching over from the website's own customer bot (issue 20). The website's linker
-- (its webhook route /api/telegram/customer, /link email without proof) stores chat ids
-- in plaintext in users."telegramChatId"; ours always stores them encrypted (`tg1:`).
-- Once `encrypt-chat-ids` has run, a plaintext chat id written to users can only come
-- from the website's linker (or a DBA by hand): it means Telegram's webhook still
-- points at the website. The users trigger records each such write; the service at
-- start, /healthz, the self-test and the telegram_plaintext_chat_ids_written gauge
-- report those made since the last run of encrypt-chat-ids.
SET LOCAL lock_timeout = '5s';

-- One row: when encrypt-chat-ids last finished a run (src/db/encrypt-chat-ids.ts).
CREATE TABLE telegram.chat_id_encryption (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  done_at timestamptz NOT NULL,
  encrypted integer NOT NULL DEFAULT 0
);
COMMENT ON TABLE telegram.chat_id_encryption IS
  'When encrypt-chat-ids last finished a run, and how many chat ids it encrypted then. From then on a plaintext chat id written to users is recorded in telegram.plaintext_chat_id_writes.';

-- A plaintext chat id written after encryption: who, when, by which role. No chat id.
CREATE TABLE telegram.plaintext_chat_id_writes (
  at timestamptz NOT NULL DEFAULT now(),
  user_id text NOT NULL,
  actor text NOT NULL
);
COMMENT ON TABLE telegram.plaintext_chat_id_writes IS
  'Plaintext chat ids written to users."telegramChatId" after encrypt-chat-ids ran: the website''s own linker is still active (its TELEGRAM_CUSTOMER_BOT_TOKEN set, Telegram''s webhook pointing at it). Fix: remove the token from the website''s environment, point the webhook at us (npm start in polling mode deletes it), run encrypt-chat-ids again.';

-- The audit trigger of 000011, which also records a plaintext chat id written after
-- encryption was done. Only a write that changes the chat id gets that far.
CREATE OR REPLACE FUNCTION telegram.tg_users__audit_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_actor text;
  v_user text;
  v_old text;
  v_new text;
BEGIN
  BEGIN
    IF TG_OP = 'DELETE' THEN
      v_user := OLD.id;
      v_old := OLD."telegramChatId";
    ELSE
      v_user := NEW.id;
      v_new := NEW."telegramChatId";
      IF TG_OP = 'UPDATE' THEN
        v_old := OLD."telegramChatId";
      END IF;
    END IF;
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'telegram: link not audited: % (see SELECT * FROM telegram.missing_objects())', SQLERRM;
    RETURN NULL;
  END;
  IF v_old IS NOT DISTINCT FROM v_new THEN
    RETURN NULL;
  END IF;
  v_actor := coalesce(nullif(current_setting('telegram.actor', true), ''), session_user::text);
  INSERT INTO telegram.link_audit (user_id, action, actor, old_chat_fingerprint, new_chat_fingerprint, detail)
  VALUES (v_user,
          CASE WHEN v_new IS NULL THEN 'unlink' WHEN v_old IS NULL THEN 'link' ELSE 'relink' END,
          v_actor, telegram.chat_fingerprint(v_old), telegram.chat_fingerprint(v_new),
          CASE WHEN TG_OP = 'DELETE' THEN 'user deleted'
               ELSE nullif(current_setting('telegram.audit_detail', true), '') END);
  IF v_new IS NOT NULL AND v_new NOT LIKE 'tg1:%'
     AND EXISTS (SELECT 1 FROM telegram.chat_id_encryption) THEN
    INSERT INTO telegram.plaintext_chat_id_writes (user_id, actor) VALUES (v_user, v_actor);
  END IF;
  RETURN NULL;
END
$$;
