-- 0021_signature_policy: pulls gated on cosign signatures verified with the project's keys
-- (docs/design/0018). keys_version moves whenever the project's keys change, so every
-- process's cached verdicts made with the old set stop counting.
CREATE TABLE project_signing_keys (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_project_signing_keys PRIMARY KEY,
  project_id bigint NOT NULL CONSTRAINT fk_project_signing_keys_project REFERENCES projects (id) ON DELETE CASCADE,
  name text NOT NULL,
  algorithm text NOT NULL CONSTRAINT ck_project_signing_keys_algorithm CHECK (algorithm IN ('ecdsa-p256', 'ed25519', 'rsa')),
  public_key_pem text NOT NULL,
  fingerprint text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT uq_project_signing_keys_fingerprint UNIQUE (project_id, fingerprint),
  CONSTRAINT uq_project_signing_keys_name UNIQUE (project_id, name)
);

ALTER TABLE projects
  ADD COLUMN require_signature boolean NOT NULL DEFAULT false,
  ADD COLUMN keys_version bigint NOT NULL DEFAULT 0;
