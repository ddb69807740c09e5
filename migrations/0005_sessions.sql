-- 0005_sessions: console logins (docs/design/0005). Only a SHA-256 of the session id is
-- stored, so a copy of the database (a backup, a replica) holds no usable session.
CREATE TABLE sessions (
  id_hash text CONSTRAINT pk_sessions PRIMARY KEY,
  user_id bigint NOT NULL CONSTRAINT fk_sessions_user REFERENCES users (id) ON DELETE CASCADE,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX ix_sessions_user ON sessions (user_id);
CREATE INDEX ix_sessions_expires_at ON sessions (expires_at);
