-- A user's address on each channel (a WhatsApp number, an Instagram handle...): where their deliveries on that
-- channel go, and how an inbound channel message finds its sender and recipient.
CREATE TABLE channel_identities (
  channel    text NOT NULL,
  address    text NOT NULL,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel, address),
  UNIQUE (user_id, channel)
);
