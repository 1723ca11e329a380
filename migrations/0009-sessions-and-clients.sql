-- Sessions, refresh tokens, OAuth clients and the revocation log (issue 11).
-- A session is one sign-in: every access token it issues names it in the `sid` claim. A password sign-in's
-- session is a refresh-token family, rotated on every use. Ending a session appends its id to `revocations`,
-- which every API process follows by `seq` and checks access tokens against in memory.

CREATE TABLE oauth_clients (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  -- SHA-256 (hex) of a 256-bit random secret: nothing to guess, so no slow hash is needed
  secret_hash text NOT NULL,
  scopes      text[] NOT NULL,
  -- the service user a client with the chat scope acts as
  user_id     uuid REFERENCES users (id),
  is_active   boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE auth_sessions (
  id                uuid PRIMARY KEY,
  user_id           uuid REFERENCES users (id) ON DELETE CASCADE,
  client_id         uuid REFERENCES oauth_clients (id) ON DELETE CASCADE,
  scopes            text[] NOT NULL,
  -- when the last access token issued for the session expires: how long its revocation must be remembered
  access_expires_at timestamptz NOT NULL,
  revoked_at        timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  CHECK (user_id IS NOT NULL OR client_id IS NOT NULL)
);

CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX auth_sessions_client_idx ON auth_sessions (client_id) WHERE revoked_at IS NULL;

-- One row per refresh token ever issued, by SHA-256 (hex); a spent one is kept until it expires, so its reuse is seen.
CREATE TABLE refresh_tokens (
  token_hash text PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  spent_at   timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Appended under an exclusive lock taken last in its transaction, so seqs commit in order and a follower's cursor
-- never passes one still to come. A row matters until the session's last access token expires.
CREATE TABLE revocations (
  seq        bigserial PRIMARY KEY,
  session_id uuid NOT NULL,
  expires_at timestamptz NOT NULL
);
