-- Per-recipient receipts (sent → delivered → read, or failed), their history with the channel's time and ours,
-- the read pointer of each member, the last activity of each conversation, and every user's event feed.

ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
  CHECK (status IN ('accepted', 'in_transit', 'delivered', 'read', 'failed'));

ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
  CHECK (status IN ('pending', 'sent', 'delivered', 'read', 'failed'));
-- The channel's own id for what it was handed; its status events name it.
ALTER TABLE deliveries ADD COLUMN provider_message_id text;
CREATE UNIQUE INDEX deliveries_provider_message_idx ON deliveries (channel, provider_message_id)
  WHERE provider_message_id IS NOT NULL;

CREATE TABLE delivery_events (
  id           bigserial PRIMARY KEY,
  message_id   uuid NOT NULL,
  channel      text NOT NULL,
  recipient_id uuid NOT NULL,
  status       text NOT NULL,
  reason       text,
  -- when the channel says it happened (null when the hub itself decided, e.g. planning)
  channel_at   timestamptz,
  recorded_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  FOREIGN KEY (message_id, channel, recipient_id) REFERENCES deliveries (message_id, channel, recipient_id) ON DELETE CASCADE
);

CREATE INDEX delivery_events_delivery_idx ON delivery_events (message_id, channel, recipient_id, id);

ALTER TABLE conversation_members ADD COLUMN last_read_seq bigint NOT NULL DEFAULT 0;

ALTER TABLE conversations ADD COLUMN last_message_at timestamptz;

-- Each user's feed of hub events (store-and-forward for the WebSocket and webhooks), with ids per user.
CREATE TABLE user_event_heads (
  user_id       uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  last_event_id bigint NOT NULL
);

CREATE TABLE user_events (
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  event_id    bigint NOT NULL,
  event_key   text NOT NULL,
  type        text NOT NULL,
  data        jsonb NOT NULL,
  occurred_at timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, event_id),
  UNIQUE (user_id, event_key)
);

CREATE INDEX user_events_created_idx ON user_events (created_at);
