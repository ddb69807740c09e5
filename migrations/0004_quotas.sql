-- 0004_quotas: a storage limit per project. Usage counts each blob once per project
-- (project_blobs), charged in the same transaction that links a blob into one of the
-- project's repositories, under a lock on the project row, so concurrent pushes can never
-- take a project over its limit. -1 means unlimited.

ALTER TABLE projects ADD COLUMN storage_limit bigint NOT NULL DEFAULT -1;
ALTER TABLE projects ADD COLUMN storage_used bigint NOT NULL DEFAULT 0;
ALTER TABLE projects ADD CONSTRAINT ck_projects_storage_limit CHECK (storage_limit >= -1);

CREATE TABLE project_blobs (
  project_id bigint NOT NULL CONSTRAINT fk_project_blobs_project REFERENCES projects (id) ON DELETE CASCADE,
  digest text NOT NULL,
  size bigint NOT NULL,
  CONSTRAINT pk_project_blobs PRIMARY KEY (project_id, digest)
);

INSERT INTO project_blobs (project_id, digest, size)
SELECT DISTINCT p.id, rb.digest, b.size
  FROM repository_blobs rb
  JOIN repositories r ON r.id = rb.repository_id
  JOIN projects p ON p.name = split_part(r.name, '/', 1)
  JOIN blobs b ON b.digest = rb.digest
ON CONFLICT ON CONSTRAINT pk_project_blobs DO NOTHING;

UPDATE projects p SET storage_used = COALESCE((SELECT sum(size) FROM project_blobs pb WHERE pb.project_id = p.id), 0);
