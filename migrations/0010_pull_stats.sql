-- 0010_pull_stats: how often a repository is pulled and when an artifact was last pulled
-- (Harbor's pull_count and pull_time). Written in batches by each server process
-- (server/registry/pullStats.ts), never on the pull's own path.
ALTER TABLE repositories ADD COLUMN pull_count bigint NOT NULL DEFAULT 0;
ALTER TABLE manifests ADD COLUMN pull_time timestamptz;
