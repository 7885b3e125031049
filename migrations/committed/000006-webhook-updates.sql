--! Previous: sha1:4593c200ea039463b721307e5144884c574990c9
--! Hash: sha1:99fbaab47b7c18bd73bbf1cf4fc6e697ce273b0a
--! Message: webhook-updates

-- Webhook deliveries already handled, so a replayed update (Telegram retries when an
-- answer is slow or lost) is processed once, whichever instance receives it.
CREATE TABLE telegram.webhook_updates (
  update_id bigint PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE telegram.webhook_updates IS
  'update_id of every webhook update processed; pruned after two days by the service.';
