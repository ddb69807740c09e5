-- 0015_gc: online garbage collection (docs/design/0015): the review queues, runs and schedule.
-- Why triggers: a review must be queued in the transaction of the change that may orphan
-- something, whichever path made it (/v2, the management API, the replication worker, a
-- cascade from a repository delete); a trigger cannot be forgotten by a new code path.
-- Why no foreign keys: a review may outlive what it names (the collector drops it then),
-- and a cascade deletes in an order these tables must not depend on.

CREATE TABLE gc_manifest_reviews (
  manifest_id bigint CONSTRAINT pk_gc_manifest_reviews PRIMARY KEY,
  repository_id bigint NOT NULL,
  event text NOT NULL,
  queued_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_gc_manifest_reviews_queued_at ON gc_manifest_reviews (queued_at);

CREATE TABLE gc_link_reviews (
  repository_id bigint NOT NULL,
  digest text NOT NULL,
  event text NOT NULL,
  queued_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_gc_link_reviews PRIMARY KEY (repository_id, digest)
);
CREATE INDEX ix_gc_link_reviews_queued_at ON gc_link_reviews (queued_at);

CREATE TABLE gc_blob_reviews (
  digest text CONSTRAINT pk_gc_blob_reviews PRIMARY KEY,
  event text NOT NULL,
  queued_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_gc_blob_reviews_queued_at ON gc_blob_reviews (queued_at);

-- Whether an index of the repository still lists a manifest: asked by child digest.
CREATE INDEX ix_manifest_children_child ON manifest_children (child_digest);

-- A later event for the same thing postpones its review: queued_at moves forward.
CREATE FUNCTION gc_queue_manifests(ids bigint[], repo bigint, ev text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO gc_manifest_reviews (manifest_id, repository_id, event)
  SELECT unnest(ids), repo, ev
  ON CONFLICT ON CONSTRAINT pk_gc_manifest_reviews DO UPDATE SET queued_at = now(), event = EXCLUDED.event
$$;

CREATE FUNCTION gc_queue_links(repo bigint, digests text[], ev text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO gc_link_reviews (repository_id, digest, event)
  SELECT repo, unnest(digests), ev
  ON CONFLICT ON CONSTRAINT pk_gc_link_reviews DO UPDATE SET queued_at = now(), event = EXCLUDED.event
$$;

CREATE FUNCTION gc_manifest_stored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Stored untagged (a child, a referrer, a push by digest) it may stay untagged.
  PERFORM gc_queue_manifests(ARRAY[NEW.id], NEW.repository_id, 'manifest_push');
  RETURN NULL;
END $$;
CREATE TRIGGER tg_manifests_gc_stored AFTER INSERT ON manifests FOR EACH ROW EXECUTE FUNCTION gc_manifest_stored();

-- BEFORE, so its references are still readable (the cascade removes them after the row).
CREATE FUNCTION gc_manifest_deleting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM gc_queue_links(OLD.repository_id, ARRAY(SELECT digest FROM manifest_blobs WHERE manifest_id = OLD.id), 'manifest_delete');
  PERFORM gc_queue_manifests(
    ARRAY(SELECT m.id FROM manifest_children c JOIN manifests m ON m.repository_id = OLD.repository_id AND m.digest = c.child_digest
           WHERE c.parent_id = OLD.id AND m.id <> OLD.id),
    OLD.repository_id, 'parent_delete');
  PERFORM gc_queue_manifests(
    ARRAY(SELECT id FROM manifests WHERE repository_id = OLD.repository_id AND subject_digest = OLD.digest AND id <> OLD.id),
    OLD.repository_id, 'subject_delete');
  DELETE FROM gc_manifest_reviews WHERE manifest_id = OLD.id;
  RETURN OLD;
END $$;
CREATE TRIGGER tg_manifests_gc_deleting BEFORE DELETE ON manifests FOR EACH ROW EXECUTE FUNCTION gc_manifest_deleting();

-- A tag deleted with its manifest (the cascade runs after the manifest row is gone) queues nothing.
CREATE FUNCTION gc_tag_left() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM manifests WHERE id = OLD.manifest_id) THEN
    PERFORM gc_queue_manifests(ARRAY[OLD.manifest_id], OLD.repository_id, CASE TG_OP WHEN 'DELETE' THEN 'tag_delete' ELSE 'tag_move' END);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER tg_tags_gc_deleted AFTER DELETE ON tags FOR EACH ROW EXECUTE FUNCTION gc_tag_left();
CREATE TRIGGER tg_tags_gc_moved AFTER UPDATE OF manifest_id ON tags FOR EACH ROW
  WHEN (OLD.manifest_id IS DISTINCT FROM NEW.manifest_id) EXECUTE FUNCTION gc_tag_left();

-- Linked by an upload or a mount, a blob may never be referenced by a manifest.
CREATE FUNCTION gc_link_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM gc_queue_links(NEW.repository_id, ARRAY[NEW.digest], 'blob_link');
  RETURN NULL;
END $$;
CREATE TRIGGER tg_repository_blobs_gc_added AFTER INSERT ON repository_blobs FOR EACH ROW EXECUTE FUNCTION gc_link_added();

CREATE FUNCTION gc_link_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO gc_blob_reviews (digest, event) VALUES (OLD.digest, 'link_delete')
  ON CONFLICT ON CONSTRAINT pk_gc_blob_reviews DO UPDATE SET queued_at = now(), event = EXCLUDED.event;
  DELETE FROM gc_link_reviews WHERE repository_id = OLD.repository_id AND digest = OLD.digest;
  RETURN NULL;
END $$;
CREATE TRIGGER tg_repository_blobs_gc_deleted AFTER DELETE ON repository_blobs FOR EACH ROW EXECUTE FUNCTION gc_link_deleted();

-- What was already garbage before this migration is queued once, due after the delay.
INSERT INTO gc_manifest_reviews (manifest_id, repository_id, event)
SELECT m.id, m.repository_id, 'migration' FROM manifests m WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id);
INSERT INTO gc_link_reviews (repository_id, digest, event)
SELECT rb.repository_id, rb.digest, 'migration' FROM repository_blobs rb
 WHERE NOT EXISTS (SELECT 1 FROM manifest_blobs mb JOIN manifests m ON m.id = mb.manifest_id WHERE m.repository_id = rb.repository_id AND mb.digest = rb.digest);
INSERT INTO gc_blob_reviews (digest, event)
SELECT b.digest, 'migration' FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.digest = b.digest);

-- Runs (Harbor's GC history): manual or scheduled, claimed by one server under a lease it
-- renews, so a run whose server died is taken over. Its counts grow while it runs.
CREATE TABLE gc_executions (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_gc_executions PRIMARY KEY,
  kind text NOT NULL CONSTRAINT ck_gc_executions_kind CHECK (kind IN ('MANUAL', 'SCHEDULE')),
  dry_run boolean NOT NULL,
  delete_untagged boolean NOT NULL,
  workers integer NOT NULL CONSTRAINT ck_gc_executions_workers CHECK (workers BETWEEN 1 AND 5),
  status text NOT NULL DEFAULT 'Pending' CONSTRAINT ck_gc_executions_status CHECK (status IN ('Pending', 'Running', 'Success', 'Error', 'Stopped')),
  -- A schedule's tick: one run per tick however many servers watch the schedule.
  scheduled_for timestamptz CONSTRAINT uq_gc_executions_tick UNIQUE,
  worker text,
  lease_until timestamptz,
  stop_requested boolean NOT NULL DEFAULT false,
  manifests integer NOT NULL DEFAULT 0,
  links integer NOT NULL DEFAULT 0,
  blobs integer NOT NULL DEFAULT 0,
  freed_bytes bigint NOT NULL DEFAULT 0,
  postponed integer NOT NULL DEFAULT 0,
  log text NOT NULL DEFAULT '',
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  ended_at timestamptz
);
CREATE INDEX ix_gc_executions_open ON gc_executions (id) WHERE status IN ('Pending', 'Running');

-- The one schedule (Harbor has one per system): None, or a cron of six fields.
CREATE TABLE gc_schedule (
  singleton boolean CONSTRAINT pk_gc_schedule PRIMARY KEY DEFAULT true CONSTRAINT ck_gc_schedule_singleton CHECK (singleton),
  type text NOT NULL DEFAULT 'None' CONSTRAINT ck_gc_schedule_type CHECK (type IN ('None', 'Hourly', 'Daily', 'Weekly', 'Custom')),
  cron text NOT NULL DEFAULT '',
  dry_run boolean NOT NULL DEFAULT false,
  delete_untagged boolean NOT NULL DEFAULT false,
  workers integer NOT NULL DEFAULT 1 CONSTRAINT ck_gc_schedule_workers CHECK (workers BETWEEN 1 AND 5),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO gc_schedule DEFAULT VALUES;
