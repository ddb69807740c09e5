-- 0008_replication_policies: replication rules (docs/design/0008). Exactly one side is a
-- remote registry: a push rule has a destination registry and this Berth as its source, a
-- pull rule the other way round. A registry a rule uses cannot be deleted (RESTRICT).
CREATE TABLE replication_policies (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_replication_policies PRIMARY KEY,
  name text NOT NULL CONSTRAINT uq_replication_policies_name UNIQUE,
  description text NOT NULL DEFAULT '',
  src_registry_id bigint CONSTRAINT fk_replication_policies_src REFERENCES registries (id) ON DELETE RESTRICT,
  dest_registry_id bigint CONSTRAINT fk_replication_policies_dest REFERENCES registries (id) ON DELETE RESTRICT,
  dest_namespace text NOT NULL DEFAULT '',
  dest_namespace_replace_count smallint NOT NULL DEFAULT -1,
  -- {type, trigger_settings: {cron}} and [{type, value, decoration}], as Harbor's API has them.
  trig jsonb NOT NULL,
  filters jsonb NOT NULL DEFAULT '[]',
  replicate_deletion boolean NOT NULL DEFAULT false,
  override boolean NOT NULL DEFAULT true,
  enabled boolean NOT NULL DEFAULT true,
  speed_kb integer NOT NULL DEFAULT -1,
  copy_by_chunk boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ck_replication_policies_one_remote CHECK ((src_registry_id IS NULL) <> (dest_registry_id IS NULL))
);
CREATE INDEX ix_replication_policies_src ON replication_policies (src_registry_id);
CREATE INDEX ix_replication_policies_dest ON replication_policies (dest_registry_id);
