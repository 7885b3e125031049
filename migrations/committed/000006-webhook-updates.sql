--! Previous: sha1:30c7a05e07e54d938ac863802eeb5c075053dcab
--! Hash: sha1:e0fdd05f6aca70e502d1d64e15e869955b6aa959
--! Message: webhook-updates

-- Webhook deliveries already handled, so a replayed update (Telegram retries when an
-- answer is slow or lost) is processed once, whichever instance receives it.
CREATE TABLE telegram.webhook_updates (
  update_id bigint PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE telegram.webhook_updates IS
  'update_id of every webhook update processed; pruned after two days by the service.';
