-- 0006_audit_log: who did what, when, from where (docs/design/0006). Rows are appended in
-- a hash chain: ids are gapless and assigned under the lock on audit_chain, and each row's
-- hash covers its fields and the previous row's hash, so an edit, a deletion in the middle
-- or a truncated tail is found by verification. project_id has no foreign key on purpose:
-- the record outlives the project.
CREATE TABLE audit_log (
  id bigint CONSTRAINT pk_audit_log PRIMARY KEY,
  op_time timestamptz NOT NULL,
  username text NOT NULL,
  actor_type text NOT NULL CONSTRAINT ck_audit_log_actor_type CHECK (actor_type IN ('user', 'robot', 'anonymous', 'system')),
  client_address text,
  operation text NOT NULL,
  resource_type text NOT NULL,
  resource text NOT NULL,
  project_id bigint,
  project_name text,
  is_successful boolean NOT NULL,
  -- Identical events (same actor, client, operation, resource and outcome) queued in the
  -- same second are one row: a CI storm of pulls is counted, not multiplied.
  count integer NOT NULL DEFAULT 1 CONSTRAINT ck_audit_log_count CHECK (count >= 1),
  error_code text,
  user_agent text,
  request_id text,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
-- Lists read newest first by id; each filter the API offers has an index ending in id, so
-- a filtered page is an index range scan, never a sort of the whole table.
CREATE INDEX ix_audit_log_op_time ON audit_log (op_time);
CREATE INDEX ix_audit_log_username ON audit_log (username, id);
CREATE INDEX ix_audit_log_project ON audit_log (project_id, id);
CREATE INDEX ix_audit_log_operation ON audit_log (operation, id);
CREATE INDEX ix_audit_log_resource_type ON audit_log (resource_type, id);
CREATE INDEX ix_audit_log_resource ON audit_log (resource, id);

-- The chain's head (the last row appended) and anchor (the last row purged), in one row
-- that every append locks; plus the rows the asynchronous writer had to drop.
CREATE TABLE audit_chain (
  singleton boolean CONSTRAINT pk_audit_chain PRIMARY KEY DEFAULT true CONSTRAINT ck_audit_chain_singleton CHECK (singleton),
  last_id bigint NOT NULL,
  last_hash text NOT NULL,
  anchor_id bigint NOT NULL,
  anchor_hash text NOT NULL,
  dropped bigint NOT NULL DEFAULT 0,
  forwarded_id bigint NOT NULL DEFAULT 0
);
INSERT INTO audit_chain (last_id, last_hash, anchor_id, anchor_hash)
VALUES (0, repeat('0', 64), 0, repeat('0', 64));
