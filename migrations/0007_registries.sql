-- 0007_registries: the registries replication talks to (docs/design/0007). The secret is
-- stored encrypted (AES-256-GCM under BERTH_SECRET_KEY or the key file), never in clear.
CREATE TABLE registries (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_registries PRIMARY KEY,
  name text NOT NULL CONSTRAINT uq_registries_name UNIQUE,
  description text NOT NULL DEFAULT '',
  type text NOT NULL,
  url text NOT NULL,
  insecure boolean NOT NULL DEFAULT false,
  credential_type text NOT NULL DEFAULT 'basic',
  access_key text,
  access_secret_enc text,
  status text NOT NULL DEFAULT 'unknown',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
