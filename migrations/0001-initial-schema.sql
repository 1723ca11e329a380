-- Users, conversations, messages with their status history and per-recipient deliveries,
-- the outbox, and the tables behind the embedded bus. One statement per ";" at a line end.

CREATE TABLE users (
  id            uuid PRIMARY KEY,
  username      text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  is_active     boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE settings (
  key   text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE conversations (
  id         uuid PRIMARY KEY,
  type       text NOT NULL CHECK (type IN ('private', 'group')),
  metadata   jsonb NOT NULL DEFAULT '{}',
  created_by uuid NOT NULL REFERENCES users (id),
  -- the last seq handed out; taking the next one locks the row, so seqs follow commit order
  last_seq   bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE conversation_members (
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  position        int NOT NULL,
  joined_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (conversation_id, user_id)
);

CREATE INDEX conversation_members_user_idx ON conversation_members (user_id);

CREATE TABLE files (
  id           uuid PRIMARY KEY,
  uploader_id  uuid NOT NULL REFERENCES users (id),
  filename     text NOT NULL,
  file_size    bigint NOT NULL CHECK (file_size > 0 AND file_size <= 2147483648),
  content_type text NOT NULL,
  status       text NOT NULL DEFAULT 'uploading' CHECK (status IN ('uploading', 'completed', 'failed')),
  sha256       text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);

CREATE TABLE messages (
  id              uuid PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq             bigint NOT NULL,
  from_user_id    uuid NOT NULL REFERENCES users (id),
  to_user_id      uuid REFERENCES users (id),
  channels        text[] NOT NULL,
  payload         jsonb NOT NULL,
  priority        text NOT NULL CHECK (priority IN ('normal', 'high', 'low')),
  status          text NOT NULL CHECK (status IN ('accepted', 'in_transit', 'delivered', 'failed')),
  request_hash    text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (conversation_id, seq)
);

CREATE TABLE message_status_history (
  id         bigserial PRIMARY KEY,
  message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  status     text NOT NULL,
  reason     text,
  at         timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX message_status_history_message_idx ON message_status_history (message_id, id);

CREATE TABLE deliveries (
  message_id   uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  channel      text NOT NULL,
  recipient_id uuid NOT NULL REFERENCES users (id),
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  reason       text,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (message_id, channel, recipient_id)
);

-- Written in the same statement as the message it announces; the relay deletes what it published.
CREATE TABLE outbox (
  id         bigserial PRIMARY KEY,
  partition  int NOT NULL,
  topic      text NOT NULL,
  key        text NOT NULL,
  value      jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX outbox_partition_idx ON outbox (partition, id);

-- The embedded bus: a log per topic and partition with gap-free offsets handed out by bus_heads.
CREATE TABLE bus_heads (
  topic       text NOT NULL,
  partition   int NOT NULL,
  next_offset bigint NOT NULL,
  PRIMARY KEY (topic, partition)
);

CREATE TABLE bus_records (
  topic      text NOT NULL,
  partition  int NOT NULL,
  "offset"   bigint NOT NULL,
  key        text NOT NULL,
  value      jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, "offset")
);

-- Which member of a consumer group holds a partition, until when, and how far it has acknowledged.
CREATE TABLE partition_leases (
  consumer_group   text NOT NULL,
  topic            text NOT NULL,
  partition        int NOT NULL,
  holder           text,
  expires_at       timestamptz,
  committed_offset bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (consumer_group, topic, partition)
);
