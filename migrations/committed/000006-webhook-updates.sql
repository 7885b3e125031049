--! Previous: sha1:926227458a948eddd3515aa48c0946512cd651a1
--! Hash: sha1:5bec5d7259a1e71c14ead7fd690a17b15eda0fff
--! Message: webhook-updates

-- Webhook deliveries already handled, so a replayed update (Telegram retries when an
-- answer is slow or lost) is processed once, whichever instance receives it.
CREATE TABLE telegram.webhook_updates (
  update_id bigint PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE telegram.webhook_updates IS
  'update_id of every webhook update processed; pruned after two days by the service.';
