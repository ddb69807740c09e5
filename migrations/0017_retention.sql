-- 0017_retention: Harbor's tag retention. One policy per project (Harbor's model: the
-- project's metadata names it), its rules kept as the validated JSON the API speaks,
-- because a rule is read whole and never queried by its parts. An execution is one run of
-- the policy (manual, or a schedule's tick), claimed by one server under a lease like a GC
-- run; a task is one repository of that run, with the table of what it kept and deleted.
CREATE TABLE retention_policies (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_retention_policies PRIMARY KEY,
  project_id bigint NOT NULL CONSTRAINT fk_retention_policies_project REFERENCES projects (id) ON DELETE CASCADE
    CONSTRAINT uq_retention_policies_project UNIQUE,
  rules jsonb NOT NULL,
  -- Harbor's trigger.settings.cron: six fields, seconds first; '' runs only when asked.
  cron text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE retention_executions (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_retention_executions PRIMARY KEY,
  policy_id bigint NOT NULL CONSTRAINT fk_retention_executions_policy REFERENCES retention_policies (id) ON DELETE CASCADE,
  trigger text NOT NULL CONSTRAINT ck_retention_executions_trigger CHECK (trigger IN ('MANUAL', 'SCHEDULE')),
  dry_run boolean NOT NULL,
  status text NOT NULL DEFAULT 'Pending' CONSTRAINT ck_retention_executions_status CHECK (status IN ('Pending', 'Running', 'Success', 'Error', 'Stopped')),
  scheduled_for timestamptz,
  worker text,
  lease_until timestamptz,
  stop_requested boolean NOT NULL DEFAULT false,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  start_time timestamptz,
  end_time timestamptz,
  -- One run per schedule tick however many servers fire it.
  CONSTRAINT uq_retention_executions_tick UNIQUE (policy_id, scheduled_for)
);
CREATE INDEX ix_retention_executions_policy ON retention_executions (policy_id, id);
CREATE INDEX ix_retention_executions_open ON retention_executions (id) WHERE status IN ('Pending', 'Running');

CREATE TABLE retention_tasks (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_retention_tasks PRIMARY KEY,
  execution_id bigint NOT NULL CONSTRAINT fk_retention_tasks_execution REFERENCES retention_executions (id) ON DELETE CASCADE,
  repository text NOT NULL,
  status text NOT NULL CONSTRAINT ck_retention_tasks_status CHECK (status IN ('Running', 'Success', 'Error', 'Stopped')),
  total integer NOT NULL DEFAULT 0,
  retained integer NOT NULL DEFAULT 0,
  deleted integer NOT NULL DEFAULT 0,
  log text NOT NULL DEFAULT '',
  start_time timestamptz NOT NULL DEFAULT now(),
  end_time timestamptz,
  CONSTRAINT uq_retention_tasks_repository UNIQUE (execution_id, repository)
);
