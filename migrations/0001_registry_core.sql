-- 0001_registry_core: the OCI registry's metadata.
-- Why this shape: a blob is served through a repository only when repository_blobs links
-- them (a digest alone never grants access); manifests keep their exact payload bytes so
-- GET returns what was pushed; tags, children and blob references are rows so deletes,
-- referrers and (later) garbage collection are queries, not file walks. Names sort in
-- byte order (COLLATE "C") because the distribution-spec lists tags and repositories
-- in lexical order.

CREATE TABLE repositories (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_repositories PRIMARY KEY,
  name text COLLATE "C" NOT NULL CONSTRAINT uq_repositories_name UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE blobs (
  digest text CONSTRAINT pk_blobs PRIMARY KEY,
  size bigint NOT NULL CONSTRAINT ck_blobs_size CHECK (size >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE repository_blobs (
  repository_id bigint NOT NULL CONSTRAINT fk_repository_blobs_repository REFERENCES repositories (id) ON DELETE CASCADE,
  digest text NOT NULL CONSTRAINT fk_repository_blobs_blob REFERENCES blobs (digest),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_repository_blobs PRIMARY KEY (repository_id, digest)
);
CREATE INDEX ix_repository_blobs_digest ON repository_blobs (digest);

CREATE TABLE manifests (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_manifests PRIMARY KEY,
  repository_id bigint NOT NULL CONSTRAINT fk_manifests_repository REFERENCES repositories (id) ON DELETE CASCADE,
  digest text NOT NULL,
  media_type text NOT NULL,
  artifact_type text,
  subject_digest text,
  annotations jsonb,
  payload bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT uq_manifests_repository_digest UNIQUE (repository_id, digest)
);
CREATE INDEX ix_manifests_subject ON manifests (repository_id, subject_digest) WHERE subject_digest IS NOT NULL;

-- Blobs (config, layers) a manifest references; GC and quota read these.
CREATE TABLE manifest_blobs (
  manifest_id bigint NOT NULL CONSTRAINT fk_manifest_blobs_manifest REFERENCES manifests (id) ON DELETE CASCADE,
  digest text NOT NULL,
  CONSTRAINT pk_manifest_blobs PRIMARY KEY (manifest_id, digest)
);
CREATE INDEX ix_manifest_blobs_digest ON manifest_blobs (digest);

-- Manifests an index references, by digest within the same repository.
CREATE TABLE manifest_children (
  parent_id bigint NOT NULL CONSTRAINT fk_manifest_children_parent REFERENCES manifests (id) ON DELETE CASCADE,
  child_digest text NOT NULL,
  CONSTRAINT pk_manifest_children PRIMARY KEY (parent_id, child_digest)
);

CREATE TABLE tags (
  repository_id bigint NOT NULL CONSTRAINT fk_tags_repository REFERENCES repositories (id) ON DELETE CASCADE,
  name text COLLATE "C" NOT NULL,
  manifest_id bigint NOT NULL CONSTRAINT fk_tags_manifest REFERENCES manifests (id) ON DELETE CASCADE,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_tags PRIMARY KEY (repository_id, name)
);
CREATE INDEX ix_tags_manifest ON tags (manifest_id);

-- Upload sessions. Chunks are objects in the blob store; this row says which ones are
-- committed, in order, so a session survives restarts and may continue on any server.
CREATE TABLE uploads (
  id uuid CONSTRAINT pk_uploads PRIMARY KEY,
  repository text NOT NULL,
  committed_size bigint NOT NULL DEFAULT 0 CONSTRAINT ck_uploads_committed_size CHECK (committed_size >= 0),
  chunks jsonb NOT NULL DEFAULT '[]'::jsonb,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_uploads_updated_at ON uploads (updated_at);
