-- 0013_replication_workers: each replication worker says every few seconds that it is
-- alive and whether it reaches this Berth's /v2, so any server's /api/v2.0/health can
-- report the workers, wherever they run. A worker that stops removes its row; one that
-- died is left out once its row is old (server/db/replicationWorkers.ts).
CREATE TABLE replication_workers (
  id text CONSTRAINT pk_replication_workers PRIMARY KEY,
  local_url text NOT NULL,
  reachable boolean NOT NULL,
  problem text,
  started_at timestamptz NOT NULL DEFAULT now(),
  seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_replication_workers_seen ON replication_workers (seen_at);
