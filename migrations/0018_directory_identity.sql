-- 0018_directory_identity: users from a directory (LDAP) or an identity provider (OIDC)
-- beside local ones, user groups as project members, and Harbor's configuration settings
-- (docs/design/0016).
--
-- A user has exactly one identity source. A directory user has no password here: the
-- directory checks it at each login. external_id is what the source knows them by (the
-- LDAP entry's DN, the OIDC issuer and subject), so a renamed entry is still the same user
-- and two sources never share a row.
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;
ALTER TABLE users ADD COLUMN source text NOT NULL DEFAULT 'db' CONSTRAINT ck_users_source CHECK (source IN ('db', 'ldap', 'oidc'));
ALTER TABLE users ADD COLUMN external_id text;
ALTER TABLE users ADD CONSTRAINT ck_users_local_password CHECK (source <> 'db' OR password_hash IS NOT NULL);
ALTER TABLE users ADD CONSTRAINT ck_users_external_id CHECK ((source = 'db') = (external_id IS NULL));
CREATE UNIQUE INDEX uq_users_external_id ON users (source, external_id) WHERE external_id IS NOT NULL;

-- Harbor's group types: 1 LDAP (by DN), 3 OIDC (by name as the groups claim gives it).
-- LDAP DNs are compared case-insensitively, as the directory does.
CREATE TABLE user_groups (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_user_groups PRIMARY KEY,
  group_name text NOT NULL,
  group_type smallint NOT NULL CONSTRAINT ck_user_groups_type CHECK (group_type IN (1, 3)),
  ldap_group_dn text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ck_user_groups_dn CHECK ((group_type = 1) = (ldap_group_dn IS NOT NULL))
);
CREATE UNIQUE INDEX uq_user_groups_ldap_dn ON user_groups (lower(ldap_group_dn)) WHERE group_type = 1;
CREATE UNIQUE INDEX uq_user_groups_oidc_name ON user_groups (group_name) WHERE group_type = 3;

-- The groups a directory user was in at their last login, written at each login so every
-- node decides with the same list and a user dropped from a group loses its roles then.
CREATE TABLE user_group_memberships (
  user_id bigint NOT NULL CONSTRAINT fk_user_group_memberships_user REFERENCES users (id) ON DELETE CASCADE,
  group_id bigint NOT NULL CONSTRAINT fk_user_group_memberships_group REFERENCES user_groups (id) ON DELETE CASCADE,
  CONSTRAINT pk_user_group_memberships PRIMARY KEY (user_id, group_id)
);
CREATE INDEX ix_user_group_memberships_group ON user_group_memberships (group_id);

-- A member is a user or a group, with its own id as in Harbor (the API's member id).
ALTER TABLE project_members ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE project_members ADD COLUMN group_id bigint CONSTRAINT fk_project_members_group REFERENCES user_groups (id) ON DELETE CASCADE;
ALTER TABLE project_members DROP CONSTRAINT pk_project_members;
ALTER TABLE project_members ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE project_members ADD CONSTRAINT pk_project_members PRIMARY KEY (id);
ALTER TABLE project_members ADD CONSTRAINT ck_project_members_entity CHECK ((user_id IS NULL) <> (group_id IS NULL));
ALTER TABLE project_members ADD CONSTRAINT uq_project_members_user UNIQUE (project_id, user_id);
ALTER TABLE project_members ADD CONSTRAINT uq_project_members_group UNIQUE (project_id, group_id);
CREATE INDEX ix_project_members_group ON project_members (group_id);

-- Harbor's /api/v2.0/configurations, one row per setting that an administrator changed
-- (the rest have their defaults). Secret values are sealed with the server's secret key.
CREATE TABLE configurations (
  key text CONSTRAINT pk_configurations PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
