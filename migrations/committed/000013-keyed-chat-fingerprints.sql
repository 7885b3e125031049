--! Previous: sha1:05d1ba3dbae8bcfb9851ee507d0a664d0473da78
--! Hash: sha1:58af9352b094ecc5f38f6a289c3cce6bc7d22f64
--! Message: keyed-chat-fingerprints

-- Chat fingerprints keyed, and deep links that ask a linked chat before switching it.
--
-- telegram.chat_fingerprint(stored) was sha256 of a salt kept in this same database and
-- the stored chat id: whoever reads the database could hash candidate chat ids and find
-- the one behind a fingerprint (1e5 guesses in 56 ms). Now, for an encrypted stored id
-- (`tg1:` + base64url(siv || ciphertext), src/chat-id.ts), the fingerprint is the siv in
-- hex: HMAC-SHA256 of the chat id under a key derived from TELEGRAM_CHAT_ID_KEY, 32 hex
-- digits, read out of the ciphertext, so the database needs no key and cannot compute one
-- for a guess. A plaintext id (the old website code's, until `encrypt-chat-ids` runs)
-- still gets the salted sha256 (16 hex digits): the database has no key to do better,
-- and the id itself is in users."telegramChatId" meanwhile. `encrypt-chat-ids` rewrites
-- every 16-digit fingerprint in link_audit, link_codes and chat_activity with the key
-- (src/db/encrypt-chat-ids.ts). A malformed `tg1:` value gets the salted form too: a
-- trigger never raises on odd data.
CREATE OR REPLACE FUNCTION telegram.chat_fingerprint(stored text) RETURNS text
  LANGUAGE sql STABLE STRICT
AS $$
  SELECT CASE
    WHEN stored ~ '^tg1:[A-Za-z0-9_-]{22,64}$' AND (length(stored) - 4) % 4 <> 1 THEN
      encode(substr(decode(rpad(translate(substr(stored, 5), '-_', '+/'),
                                ((length(stored) - 4 + 3) / 4) * 4, '='), 'base64'), 1, 16), 'hex')
    ELSE left(encode(sha256(convert_to((SELECT salt FROM telegram.audit_salt) || stored, 'UTF8')), 'hex'), 16)
  END
$$;

-- A linked chat that opens a deep link made for another account is asked first; the
-- token waits unspent, reserved for that chat (its fingerprint), until a button answers.
ALTER TABLE telegram.link_tokens ADD COLUMN IF NOT EXISTS confirm_chat_fingerprint text;
CREATE INDEX IF NOT EXISTS link_tokens_confirm_chat_idx ON telegram.link_tokens (confirm_chat_fingerprint)
  WHERE confirm_chat_fingerprint IS NOT NULL;
