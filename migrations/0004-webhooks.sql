-- Client apps' webhooks (a user's endpoint for some hub event types) and their deliveries: one row per webhook
-- and feed event, queued in the transaction that appends the event to the user's feed, kept until delivered or
-- dead-lettered (and for the retention window after that).

CREATE TABLE webhooks (
  id         uuid PRIMARY KEY,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  url        text NOT NULL,
  events     text[] NOT NULL,
  -- Standard Webhooks "whsec_<base64>": the hub signs with it, so it is kept as is (shown to the owner once)
  secret     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX webhooks_user_idx ON webhooks (user_id, created_at);

-- Dead letters are listed in the order they died, paged by this number.
CREATE SEQUENCE webhook_dead_letter_seq;

CREATE TABLE webhook_deliveries (
  -- sent as webhook-id, the same on every attempt
  id               uuid PRIMARY KEY,
  webhook_id       uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  -- the event, copied, so pruning the feed never takes the payload of a delivery still owed
  event_id         bigint NOT NULL,
  type             text NOT NULL,
  data             jsonb NOT NULL,
  occurred_at      timestamptz NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts         int NOT NULL DEFAULT 0,
  -- when a dispatcher may take it; a claim pushes it forward by a lease, so a crash mid-attempt only delays a retry
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  first_attempt_at timestamptz,
  last_attempt_at  timestamptz,
  last_status      int,
  last_error       text,
  -- when it was delivered or dead-lettered
  settled_at       timestamptz,
  dead_seq         bigint,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (webhook_id, event_id)
);

CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_dead_idx ON webhook_deliveries (webhook_id, dead_seq) WHERE status = 'dead';
CREATE INDEX webhook_deliveries_settled_idx ON webhook_deliveries (settled_at) WHERE status <> 'pending';
