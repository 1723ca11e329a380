-- The lean pipeline: history that can be derived lives as columns on the row it describes, and hub events are
-- stored once per conversation instead of once per audience member.
--
-- A message's status history is accepted (created_at), in_transit (in_transit_at), delivered, read or failed (their
-- columns, with `reason`), plus message_events rows for what the columns cannot say: steps of generations before a
-- dead-letter replay. A delivery's history likewise: pending (created_at), sent, delivered, read, failed (a time of
-- ours and the channel's for each), plus delivery_events rows for earlier generations. Existing rows are converted:
-- each status's step of the current generation moves into its columns, the rest stays as event rows. The first step
-- keeps the time it was recorded at, which is not the row's created_at: the old accept statement recorded accepted
-- at a clock_timestamp() after its transaction's now() (milliseconds later on PGlite), and a delivery's first step
-- after the row's own clock_timestamp(). A message's created_at is also its time of creation as the API shows it, so
-- its accepted row stays (the read path takes it for the accepted step); a delivery's created_at is read only as its
-- pending step's time, so it takes the time of the delivery's first row.

ALTER TABLE messages ADD COLUMN in_transit_at timestamptz;
ALTER TABLE messages ADD COLUMN delivered_at timestamptz;
ALTER TABLE messages ADD COLUMN read_at timestamptz;
ALTER TABLE messages ADD COLUMN failed_at timestamptz;
ALTER TABLE messages ADD COLUMN reason text;
-- How many times the message was replayed from a dead letter: its events of a later generation are new facts.
ALTER TABLE messages ADD COLUMN generation int NOT NULL DEFAULT 0;

ALTER TABLE message_status_history RENAME TO message_events;
ALTER INDEX message_status_history_message_idx RENAME TO message_events_message_idx;

-- A replay wrote an in_transit step with its reason; the current generation starts after the last one.
CREATE TEMPORARY TABLE message_generations AS
  SELECT message_id,
         coalesce(max(id) FILTER (WHERE status = 'in_transit' AND reason IS NOT NULL), 0) AS boundary,
         count(*) FILTER (WHERE status = 'in_transit' AND reason IS NOT NULL) AS generation
  FROM message_events GROUP BY message_id;

UPDATE messages m
SET in_transit_at = x.in_transit_at, delivered_at = x.delivered_at, read_at = x.read_at, failed_at = x.failed_at,
    reason = x.reason, generation = x.generation
FROM (
  SELECT h.message_id, g.generation,
         min(h.at) FILTER (WHERE h.status = 'in_transit' AND h.reason IS NULL) AS in_transit_at,
         max(h.at) FILTER (WHERE h.status = 'delivered' AND h.id > g.boundary) AS delivered_at,
         max(h.at) FILTER (WHERE h.status = 'read' AND h.id > g.boundary) AS read_at,
         max(h.at) FILTER (WHERE h.status = 'failed' AND h.id > g.boundary) AS failed_at,
         (array_agg(h.reason ORDER BY h.id DESC) FILTER (WHERE h.status = 'failed' AND h.id > g.boundary))[1] AS reason
  FROM message_events h JOIN message_generations g USING (message_id)
  GROUP BY h.message_id, g.generation
) x
WHERE m.id = x.message_id;

-- What the columns now say: the first in_transit, and every step of the current generation (accepted stays, see above).
DELETE FROM message_events h USING message_generations g
WHERE h.message_id = g.message_id AND h.status <> 'accepted'
  AND ((h.status = 'in_transit' AND h.reason IS NULL) OR h.id > g.boundary);

DROP TABLE message_generations;

ALTER TABLE deliveries ADD COLUMN sent_at timestamptz;
ALTER TABLE deliveries ADD COLUMN sent_channel_at timestamptz;
ALTER TABLE deliveries ADD COLUMN delivered_at timestamptz;
ALTER TABLE deliveries ADD COLUMN delivered_channel_at timestamptz;
ALTER TABLE deliveries ADD COLUMN read_at timestamptz;
ALTER TABLE deliveries ADD COLUMN read_channel_at timestamptz;
ALTER TABLE deliveries ADD COLUMN failed_at timestamptz;
ALTER TABLE deliveries ADD COLUMN failed_channel_at timestamptz;

-- A replay wrote a pending step with its reason; the current generation starts after the last one.
CREATE TEMPORARY TABLE delivery_generations AS
  SELECT message_id, channel, recipient_id,
         coalesce(max(id) FILTER (WHERE status = 'pending' AND reason IS NOT NULL), 0) AS boundary
  FROM delivery_events GROUP BY message_id, channel, recipient_id;

UPDATE deliveries d
SET created_at = x.planned_at, sent_at = x.sent_at, sent_channel_at = x.sent_channel_at, delivered_at = x.delivered_at,
    delivered_channel_at = x.delivered_channel_at, read_at = x.read_at, read_channel_at = x.read_channel_at,
    failed_at = x.failed_at, failed_channel_at = x.failed_channel_at
FROM (
  SELECT e.message_id, e.channel, e.recipient_id,
         -- its first row: pending when it was planned (failed, when it was planned failed)
         (array_agg(e.recorded_at ORDER BY e.id))[1] AS planned_at,
         max(e.recorded_at) FILTER (WHERE e.status = 'sent' AND e.id > g.boundary) AS sent_at,
         (array_agg(e.channel_at ORDER BY e.id DESC) FILTER (WHERE e.status = 'sent' AND e.id > g.boundary))[1] AS sent_channel_at,
         max(e.recorded_at) FILTER (WHERE e.status = 'delivered' AND e.id > g.boundary) AS delivered_at,
         (array_agg(e.channel_at ORDER BY e.id DESC) FILTER (WHERE e.status = 'delivered' AND e.id > g.boundary))[1] AS delivered_channel_at,
         max(e.recorded_at) FILTER (WHERE e.status = 'read' AND e.id > g.boundary) AS read_at,
         (array_agg(e.channel_at ORDER BY e.id DESC) FILTER (WHERE e.status = 'read' AND e.id > g.boundary))[1] AS read_channel_at,
         max(e.recorded_at) FILTER (WHERE e.status = 'failed' AND e.id > g.boundary) AS failed_at,
         (array_agg(e.channel_at ORDER BY e.id DESC) FILTER (WHERE e.status = 'failed' AND e.id > g.boundary))[1] AS failed_channel_at
  FROM delivery_events e JOIN delivery_generations g USING (message_id, channel, recipient_id)
  GROUP BY e.message_id, e.channel, e.recipient_id
) x
WHERE d.message_id = x.message_id AND d.channel = x.channel AND d.recipient_id = x.recipient_id;

DELETE FROM delivery_events e USING delivery_generations g
WHERE e.message_id = g.message_id AND e.channel = g.channel AND e.recipient_id = g.recipient_id
  AND ((e.status = 'pending' AND e.reason IS NULL) OR e.id > g.boundary);

DROP TABLE delivery_generations;

-- Hub events, once each: the notifier stores an event once and gives each user in its audience a page of ids.
CREATE TABLE conversation_events (
  id              bigserial PRIMARY KEY,
  -- names the fact, so the same fact handled twice is stored once
  event_key       text NOT NULL UNIQUE,
  conversation_id uuid NOT NULL,
  type            text NOT NULL,
  data            jsonb NOT NULL,
  occurred_at     timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- Pruning by age; rows arrive in time order, so a BRIN index (a few pages, next to free to keep) does.
CREATE INDEX conversation_events_created_idx ON conversation_events USING brin (created_at);

-- A user's feed, a page per notifier batch: the events of `events` carry the user's ids first_event_id,
-- first_event_id + 1, … last_event_id, in that order. Ids are the user's own, strictly increasing, without gaps.
CREATE TABLE user_feed_pages (
  user_id        uuid NOT NULL,
  last_event_id  bigint NOT NULL,
  first_event_id bigint NOT NULL,
  events         bigint[] NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, last_event_id)
);

CREATE INDEX user_feed_pages_created_idx ON user_feed_pages USING brin (created_at);

INSERT INTO conversation_events (event_key, conversation_id, type, data, occurred_at, created_at)
SELECT DISTINCT ON (u.event_key) u.event_key, (u.data ->> 'conversation_id')::uuid, u.type, u.data, u.occurred_at, u.created_at
FROM user_events u JOIN conversations c ON c.id = (u.data ->> 'conversation_id')::uuid
ORDER BY u.event_key, u.created_at;

INSERT INTO user_feed_pages (user_id, last_event_id, first_event_id, events, created_at)
SELECT u.user_id, u.event_id, u.event_id, ARRAY[e.id], u.created_at
FROM user_events u JOIN conversation_events e ON e.event_key = u.event_key;

-- Where each user's ids go on from, when none of their events is left: a page without events.
INSERT INTO user_feed_pages (user_id, last_event_id, first_event_id, events)
SELECT user_id, last_event_id, last_event_id + 1, '{}' FROM user_event_heads
ON CONFLICT DO NOTHING;

DROP TABLE user_events;

DROP TABLE user_event_heads;

-- The embedded bus's log stores a run of records per row: what one transaction wrote to one partition of one
-- topic, offsets `offset` … last_offset. A row per record cost a row write, a read and a delete per record.
ALTER TABLE bus_records ADD COLUMN last_offset bigint;

ALTER TABLE bus_records ADD COLUMN keys text[];

ALTER TABLE bus_records ADD COLUMN vals jsonb;

UPDATE bus_records SET last_offset = "offset", keys = ARRAY[key], vals = jsonb_build_array(value);

ALTER TABLE bus_records DROP CONSTRAINT bus_records_pkey;

ALTER TABLE bus_records DROP COLUMN key;

ALTER TABLE bus_records DROP COLUMN value;

ALTER TABLE bus_records ALTER COLUMN last_offset SET NOT NULL;

ALTER TABLE bus_records ALTER COLUMN keys SET NOT NULL;

ALTER TABLE bus_records ALTER COLUMN vals SET NOT NULL;

ALTER TABLE bus_records ADD PRIMARY KEY (topic, partition, last_offset);

-- The tables every message writes carry no foreign keys: each writer checks what it refers to in the statement that
-- writes (the accept statement the conversation and the membership of sender and recipient, the router the locked
-- message and its conversation's members, the notifier the conversation), users and conversations are never deleted
-- (users are disabled), and a foreign-key check cost some 30 µs per row in PGlite, about a sixth of the database's
-- time per message. conversation_events and user_feed_pages were created without them above.
ALTER TABLE messages DROP CONSTRAINT messages_conversation_id_fkey;

ALTER TABLE messages DROP CONSTRAINT messages_from_user_id_fkey;

ALTER TABLE messages DROP CONSTRAINT messages_to_user_id_fkey;

ALTER TABLE deliveries DROP CONSTRAINT deliveries_message_id_fkey;

ALTER TABLE deliveries DROP CONSTRAINT deliveries_recipient_id_fkey;

-- The outbox likewise stores a run of records per row: what one statement wrote to one partition of one topic. The
-- relay publishes them one by one, in order.
ALTER TABLE outbox ADD COLUMN keys text[];

ALTER TABLE outbox ADD COLUMN vals jsonb;

UPDATE outbox SET keys = ARRAY[key], vals = jsonb_build_array(value);

ALTER TABLE outbox DROP COLUMN key;

ALTER TABLE outbox DROP COLUMN value;

ALTER TABLE outbox ALTER COLUMN keys SET NOT NULL;

ALTER TABLE outbox ALTER COLUMN vals SET NOT NULL;

-- A message is updated twice or three times after it is written (in transit, delivered, read), a delivery once or
-- twice: room on each page lets those updates stay on the page and skip the indexes (HOT updates).
ALTER TABLE messages SET (fillfactor = 70);

ALTER TABLE deliveries SET (fillfactor = 70);
