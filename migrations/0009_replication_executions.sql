-- 0009_replication_executions: runs of replication rules and their tasks (docs/design/0011).
-- A task is one artifact; the pg-boss job that carries it holds only the task id. A task is
-- run by whoever claims it (status Pending -> InProgress with a lease that the worker
-- renews), so a job handed out twice never copies twice at once, and a task whose worker
-- died (lease run out) is taken again.
CREATE TABLE replication_executions (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_replication_executions PRIMARY KEY,
  policy_id bigint NOT NULL CONSTRAINT fk_replication_executions_policy REFERENCES replication_policies (id) ON DELETE CASCADE,
  status text NOT NULL DEFAULT 'InProgress',
  status_text text NOT NULL DEFAULT '',
  trigger text NOT NULL,
  -- A scheduled run's fire time: one execution per tick however many workers see it.
  scheduled_for timestamptz,
  start_time timestamptz NOT NULL DEFAULT now(),
  end_time timestamptz,
  CONSTRAINT uq_replication_executions_tick UNIQUE (policy_id, scheduled_for)
);
CREATE INDEX ix_replication_executions_policy ON replication_executions (policy_id, id);
CREATE INDEX ix_replication_executions_running ON replication_executions (id) WHERE status = 'InProgress';

CREATE TABLE replication_tasks (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_replication_tasks PRIMARY KEY,
  execution_id bigint NOT NULL CONSTRAINT fk_replication_tasks_execution REFERENCES replication_executions (id) ON DELETE CASCADE,
  -- copy or deletion
  operation text NOT NULL DEFAULT 'copy',
  resource_type text NOT NULL DEFAULT 'artifact',
  src_repository text NOT NULL,
  dst_repository text NOT NULL,
  -- A tag or a digest; `tags` are set on the destination after the artifact is there.
  reference text NOT NULL,
  tags text[] NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'Pending',
  status_text text NOT NULL DEFAULT '',
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  bytes bigint NOT NULL DEFAULT 0,
  digest text,
  worker text,
  lease_until timestamptz,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  log text NOT NULL DEFAULT '',
  start_time timestamptz,
  end_time timestamptz,
  update_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_replication_tasks_execution ON replication_tasks (execution_id, id);
CREATE INDEX ix_replication_tasks_open ON replication_tasks (status, lease_until) WHERE status IN ('Pending', 'InProgress');

-- Pushes and deletions that event-based rules may want, written in the same transaction as
-- the change (an outbox): a worker turns them into executions, so none is lost to a crash.
CREATE TABLE replication_events (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_replication_events PRIMARY KEY,
  operation text NOT NULL,
  repository text NOT NULL,
  reference text NOT NULL,
  digest text,
  -- For a rule's resource filter (image or any artifact).
  artifact_type text,
  created_at timestamptz NOT NULL DEFAULT now()
);
