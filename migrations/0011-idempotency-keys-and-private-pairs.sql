-- Issue 15 point 8. Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) on the POSTs that create something:
-- one row per caller (user or client), operation (method and route) and key, holding the keyed fingerprint of the
-- request body and, once it succeeded, the answer (status and JSON body) its retries get again. A row without an
-- answer is a request in flight; the primary key decides which of two racing requests (any API process) runs.
CREATE TABLE idempotency_keys (
  principal   text NOT NULL,
  operation   text NOT NULL,
  key         text NOT NULL,
  fingerprint text NOT NULL,
  -- who holds the row: only its holder records the answer or lets the key go
  claim_id    uuid NOT NULL,
  claimed_at  timestamptz NOT NULL DEFAULT now(),
  status      integer,
  body        jsonb,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (principal, operation, key)
);

CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);

-- A private conversation is unique to its pair of members, in either order: the pair, lower id first, is a unique
-- key that decides concurrent creates. Group conversations leave it null (nulls never collide).
ALTER TABLE conversations ADD COLUMN private_low uuid, ADD COLUMN private_high uuid;

-- Databases may already hold several private conversations for one pair: the oldest (the one channel webhooks
-- already picked) becomes the pair's canonical conversation and the others keep a null pair. They stay readable
-- to their members, but get-or-create never returns them.
UPDATE conversations SET private_low = canonical.low, private_high = canonical.high
FROM (
  SELECT DISTINCT ON (pair.low, pair.high) pair.id, pair.low, pair.high
  FROM (
    SELECT c.id, c.created_at,
           (array_agg(m.user_id ORDER BY m.user_id))[1] AS low,
           (array_agg(m.user_id ORDER BY m.user_id))[2] AS high
    FROM conversations c JOIN conversation_members m ON m.conversation_id = c.id
    WHERE c.type = 'private'
    GROUP BY c.id, c.created_at
    HAVING count(*) = 2
  ) pair
  ORDER BY pair.low, pair.high, pair.created_at, pair.id
) canonical
WHERE conversations.id = canonical.id;

CREATE UNIQUE INDEX conversations_private_pair_idx ON conversations (private_low, private_high);
