-- 0002_identity: users, projects, members and the token signing key, so every request is
-- allowed or refused by one permission table (docs/design/0003, 0004). A repository
-- belongs to the project named by its first path component; repositories pushed before
-- projects existed get a private project of that name, so nothing already stored is lost.

CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_users PRIMARY KEY,
  username text NOT NULL CONSTRAINT uq_users_username UNIQUE,
  email text,
  realname text,
  password_hash text NOT NULL,
  sysadmin boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE projects (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_projects PRIMARY KEY,
  name text COLLATE "C" NOT NULL CONSTRAINT uq_projects_name UNIQUE,
  public boolean NOT NULL DEFAULT false,
  owner_id bigint CONSTRAINT fk_projects_owner REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE project_members (
  project_id bigint NOT NULL CONSTRAINT fk_project_members_project REFERENCES projects (id) ON DELETE CASCADE,
  user_id bigint NOT NULL CONSTRAINT fk_project_members_user REFERENCES users (id) ON DELETE CASCADE,
  role_id smallint NOT NULL CONSTRAINT ck_project_members_role CHECK (role_id BETWEEN 1 AND 5),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_project_members PRIMARY KEY (project_id, user_id)
);
CREATE INDEX ix_project_members_user ON project_members (user_id);

-- The key every node signs and verifies registry tokens with.
CREATE TABLE signing_keys (
  kid text CONSTRAINT pk_signing_keys PRIMARY KEY,
  private_key_pem text NOT NULL,
  public_key_pem text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Failed logins per user name and per client address, for throttling.
CREATE TABLE login_failures (
  key text CONSTRAINT pk_login_failures PRIMARY KEY,
  failures integer NOT NULL,
  window_started_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO projects (name)
SELECT DISTINCT split_part(name, '/', 1) FROM repositories WHERE position('/' in name) > 0
ON CONFLICT ON CONSTRAINT uq_projects_name DO NOTHING;
