-- 0020_scanning: vulnerability scanning through Harbor's scanner adapter API (docs/design/0017).

-- Scanner registrations (Harbor's /api/v2.0/scanners). The access credential is sealed
-- like a remote registry's secret; at most one registration is the system default.
CREATE TABLE scanners (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_scanners PRIMARY KEY,
  uuid text NOT NULL CONSTRAINT uq_scanners_uuid UNIQUE,
  name text NOT NULL CONSTRAINT uq_scanners_name UNIQUE,
  description text NOT NULL DEFAULT '',
  url text NOT NULL CONSTRAINT uq_scanners_url UNIQUE,
  auth text NOT NULL DEFAULT '' CONSTRAINT ck_scanners_auth CHECK (auth IN ('', 'Basic', 'Bearer', 'X-ScannerAdapter-API-Key')),
  access_credential_enc text,
  skip_cert_verify boolean NOT NULL DEFAULT false,
  use_internal_addr boolean NOT NULL DEFAULT false,
  disabled boolean NOT NULL DEFAULT false,
  is_default boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX uq_scanners_default ON scanners (is_default) WHERE is_default;

-- A project's own scanner; without a row the system default scans it.
CREATE TABLE project_scanners (
  project_id bigint CONSTRAINT pk_project_scanners PRIMARY KEY CONSTRAINT fk_project_scanners_project REFERENCES projects (id) ON DELETE CASCADE,
  scanner_id bigint NOT NULL CONSTRAINT fk_project_scanners_scanner REFERENCES scanners (id) ON DELETE CASCADE
);

-- Harbor's project metadata for scanning and the pull gate.
ALTER TABLE projects
  ADD COLUMN auto_scan boolean NOT NULL DEFAULT false,
  ADD COLUMN prevent_vul boolean NOT NULL DEFAULT false,
  ADD COLUMN severity text NOT NULL DEFAULT 'low' CONSTRAINT ck_projects_severity CHECK (severity IN ('none', 'unknown', 'negligible', 'low', 'medium', 'high', 'critical')),
  ADD COLUMN reuse_sys_cve_allowlist boolean NOT NULL DEFAULT true;

-- CVE allowlists: the system's (project_id NULL) and each project's own. expires_at is
-- Unix seconds as Harbor has it; NULL never expires.
CREATE TABLE cve_allowlists (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_cve_allowlists PRIMARY KEY,
  project_id bigint CONSTRAINT fk_cve_allowlists_project REFERENCES projects (id) ON DELETE CASCADE,
  expires_at bigint,
  items text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX uq_cve_allowlists_project ON cve_allowlists ((coalesce(project_id, 0)));
INSERT INTO cve_allowlists (project_id) VALUES (NULL);

-- "Scan all" runs, manual or by the schedule's tick (one run per tick however many servers).
CREATE TABLE scan_all_runs (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_scan_all_runs PRIMARY KEY,
  trigger text NOT NULL CONSTRAINT ck_scan_all_runs_trigger CHECK (trigger IN ('MANUAL', 'SCHEDULE')),
  scheduled_for timestamptz CONSTRAINT uq_scan_all_runs_tick UNIQUE,
  -- Set when a runner takes the run to queue its tasks (in batches, off the request).
  queued boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE scan_all_schedule (
  singleton boolean CONSTRAINT pk_scan_all_schedule PRIMARY KEY DEFAULT true CONSTRAINT ck_scan_all_schedule_singleton CHECK (singleton),
  type text NOT NULL DEFAULT 'None' CONSTRAINT ck_scan_all_schedule_type CHECK (type IN ('None', 'Hourly', 'Daily', 'Weekly', 'Custom')),
  cron text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO scan_all_schedule DEFAULT VALUES;

-- One scan of one artifact by one scanner. A runner takes a due row under a short lease,
-- makes one request to the adapter (the scan request, or one poll of the report) and puts
-- the row back with its next due time: any server may take the next step, and a server
-- that dies mid-step loses only its lease. The pull credential handed to the adapter is
-- stored as a SHA-256 of a random secret and is void once the task ends.
CREATE TABLE scan_tasks (
  id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_scan_tasks PRIMARY KEY,
  manifest_id bigint NOT NULL CONSTRAINT fk_scan_tasks_manifest REFERENCES manifests (id) ON DELETE CASCADE,
  scanner_id bigint NOT NULL CONSTRAINT fk_scan_tasks_scanner REFERENCES scanners (id) ON DELETE CASCADE,
  trigger text NOT NULL CONSTRAINT ck_scan_tasks_trigger CHECK (trigger IN ('MANUAL', 'EVENT', 'SCHEDULE')),
  scan_all_id bigint CONSTRAINT fk_scan_tasks_scan_all REFERENCES scan_all_runs (id) ON DELETE SET NULL,
  status text NOT NULL DEFAULT 'Pending' CONSTRAINT ck_scan_tasks_status CHECK (status IN ('Pending', 'Running', 'Success', 'Error', 'Stopped')),
  attempts integer NOT NULL DEFAULT 0,
  due_at timestamptz NOT NULL DEFAULT now(),
  lease_owner text,
  lease_until timestamptz,
  request_id text,
  credential_hash text,
  credential_expires_at timestamptz,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  ended_at timestamptz
);
-- At most one scan in progress per artifact and scanner: asking again joins it.
CREATE UNIQUE INDEX uq_scan_tasks_active ON scan_tasks (manifest_id, scanner_id) WHERE status IN ('Pending', 'Running');
CREATE INDEX ix_scan_tasks_due ON scan_tasks (due_at) WHERE status IN ('Pending', 'Running');
CREATE INDEX ix_scan_tasks_manifest ON scan_tasks (manifest_id);
CREATE INDEX ix_scan_tasks_scan_all ON scan_tasks (scan_all_id) WHERE scan_all_id IS NOT NULL;

-- The latest report per artifact and scanner, as the adapter returned it.
CREATE TABLE vulnerability_reports (
  manifest_id bigint NOT NULL CONSTRAINT fk_vulnerability_reports_manifest REFERENCES manifests (id) ON DELETE CASCADE,
  scanner_id bigint NOT NULL CONSTRAINT fk_vulnerability_reports_scanner REFERENCES scanners (id) ON DELETE CASCADE,
  task_id bigint NOT NULL,
  report jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_vulnerability_reports PRIMARY KEY (manifest_id, scanner_id)
);

-- One row per artifact, which artifact lists and the pull gate read with one index probe
-- (never a join over the task table): the latest scan's task and state, and apart from it
-- the result of the latest scan that succeeded, so a re-scan in progress or one that failed
-- leaves the last known result in force (scanned_at NULL: never scanned successfully).
-- cves holds each distinct CVE id with its severity, so the gate can apply allowlists
-- without reading the report.
CREATE TABLE vulnerability_summaries (
  manifest_id bigint CONSTRAINT pk_vulnerability_summaries PRIMARY KEY CONSTRAINT fk_vulnerability_summaries_manifest REFERENCES manifests (id) ON DELETE CASCADE,
  task_id bigint NOT NULL,
  status text NOT NULL,
  start_time timestamptz,
  end_time timestamptz,
  scanned_at timestamptz,
  result_task_id bigint,
  severity text,
  total integer NOT NULL DEFAULT 0,
  fixable integer NOT NULL DEFAULT 0,
  counts jsonb NOT NULL DEFAULT '{}',
  cves jsonb NOT NULL DEFAULT '[]',
  scanner jsonb NOT NULL DEFAULT '{}'
);
