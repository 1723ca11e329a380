-- Channel addresses are linked by proof of ownership (issue 11): a claim has the hub send a code to the address
-- through its channel, and only the code coming back links it. channel_identities keeps the verified addresses, the
-- only ones that route messages; rows linked before this migration stay there and count as verified (their users
-- linked them when no proof was asked for; an operator who doubts one deletes it, and its user claims it again).
-- One claim per user and channel, pending until verified, expired, out of attempts or withdrawn; a claim that is
-- over keeps its row (attempts_left 0), so the time its code went out still holds back the next one.
CREATE TABLE identity_claims (
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  channel       text NOT NULL,
  address       text NOT NULL,
  code_hash     text NOT NULL,
  attempts_left integer NOT NULL,
  sent_at       timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  PRIMARY KEY (user_id, channel)
);
