-- 0019_oidc: sign-in through an OpenID Connect provider (docs/design/0016).
--
-- A sign-in in progress, from the redirect to the provider until it comes back (to any
-- node): the state's hash, the PKCE verifier and the nonce it must come back with. Kept
-- ten minutes. A sign-in that needs a user name chosen (automatic onboarding off) keeps
-- the verified identity here until the user picks one.
CREATE TABLE oidc_logins (
  state_hash text CONSTRAINT pk_oidc_logins PRIMARY KEY,
  code_verifier text NOT NULL,
  nonce text NOT NULL,
  -- The verified identity waiting for a user name (sealed JSON), once the provider answered.
  pending_sealed text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_oidc_logins_created ON oidc_logins (created_at);

-- Harbor's oidc_user: what the CLI needs for an OIDC user. The CLI secret is sealed, not
-- hashed, because its owner reads it back in the console (as in Harbor); the refresh token
-- lets a CLI login check with the provider that the user still may sign in.
CREATE TABLE oidc_users (
  user_id bigint CONSTRAINT pk_oidc_users PRIMARY KEY CONSTRAINT fk_oidc_users_user REFERENCES users (id) ON DELETE CASCADE,
  secret_sealed text NOT NULL,
  refresh_sealed text,
  token_expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
