-- 0003_robots: robot accounts for CI, Harbor-style. A robot is system level (several or
-- all projects) or project level (robot$<project>+<name>); it holds an explicit list of
-- (namespace, resource, action) grants, never more than its creator held; its secret is
-- stored only as a bcrypt hash; it may be disabled or expire.

CREATE TABLE robots (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_robots PRIMARY KEY,
  name text NOT NULL CONSTRAINT uq_robots_name UNIQUE,
  description text NOT NULL DEFAULT '',
  level text NOT NULL CONSTRAINT ck_robots_level CHECK (level IN ('system', 'project')),
  project_id bigint CONSTRAINT fk_robots_project REFERENCES projects (id) ON DELETE CASCADE,
  secret_hash text NOT NULL,
  disabled boolean NOT NULL DEFAULT false,
  duration_days integer NOT NULL DEFAULT -1,
  expires_at timestamptz,
  creator_id bigint CONSTRAINT fk_robots_creator REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ck_robots_project CHECK ((level = 'project') = (project_id IS NOT NULL))
);

CREATE TABLE robot_permissions (
  robot_id bigint NOT NULL CONSTRAINT fk_robot_permissions_robot REFERENCES robots (id) ON DELETE CASCADE,
  namespace text NOT NULL, -- a project name, or '*' for every project
  resource text NOT NULL,
  action text NOT NULL,
  CONSTRAINT pk_robot_permissions PRIMARY KEY (robot_id, namespace, resource, action)
);
