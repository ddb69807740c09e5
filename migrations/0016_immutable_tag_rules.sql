-- 0016_immutable_tag_rules: Harbor's tag immutability rules, per project. Why a row per
-- rule with one repository and one tag selector: Harbor's API carries lists, but its
-- console and every rule it makes hold exactly one of each; the API keeps the list shape.
CREATE TABLE immutable_tag_rules (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_immutable_tag_rules PRIMARY KEY,
  project_id bigint NOT NULL CONSTRAINT fk_immutable_tag_rules_project REFERENCES projects (id) ON DELETE CASCADE,
  disabled boolean NOT NULL DEFAULT false,
  priority integer NOT NULL DEFAULT 0,
  repo_decoration text NOT NULL CONSTRAINT ck_immutable_tag_rules_repo CHECK (repo_decoration IN ('repoMatches', 'repoExcludes')),
  repo_pattern text NOT NULL,
  tag_decoration text NOT NULL CONSTRAINT ck_immutable_tag_rules_tag CHECK (tag_decoration IN ('matches', 'excludes')),
  tag_pattern text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT uq_immutable_tag_rules_selectors UNIQUE (project_id, repo_decoration, repo_pattern, tag_decoration, tag_pattern)
);
