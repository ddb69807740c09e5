// The shapes /api/v2.0 answers with (Harbor's, plus Berth's documented additions), held
// once: the server's views are built as these types and the console reads them
// (web/tsconfig.json includes this file). docs/openapi.yaml describes the same shapes;
// Harbor's fields are never null unless a comment says so, and times are ISO strings.
// No imports: the console compiles this file too.

export interface UserView {
  user_id: number;
  username: string;
  email: string;
  realname: string;
  comment: string;
  sysadmin_flag: boolean;
  /** Harbor: administrator through the directory's admin group (Berth writes that into sysadmin_flag at each login). */
  admin_role_in_auth: boolean;
  /** Berth: where the user signs in (db, ldap, oidc). */
  source: string;
  /** Harbor's: an OIDC user's own CLI secret (in /users/current only). */
  oidc_user_meta?: { user_id: number; subiss: string; secret: string };
  creation_time: string;
  update_time: string;
}

export interface ProjectView {
  project_id: number;
  name: string;
  public: boolean;
  /** 0 and "" once the owner's account is deleted (Harbor's fields are never null). */
  owner_id: number;
  owner_name: string;
  creation_time: string;
  update_time: string;
  deleted: boolean;
  /** Whether the caller may switch the project between public and private. */
  togglable: boolean;
  /** retention_id: the project's tag retention policy, when it has one. */
  metadata: {
    public: string;
    retention_id?: string;
    auto_scan: string;
    prevent_vul: string;
    severity: string;
    reuse_sys_cve_allowlist: string;
    require_signature: string;
  };
  /** Only where one project is shown: the project's own CVE allowlist. */
  cve_allowlist?: CveAllowlistView;
  /** The caller's role in the project, 0 for none; and the same as Harbor's list. */
  current_user_role_id: number;
  current_user_role_ids: number[];
  repo_count: number;
  /** Berth: the quota (bytes, -1 unlimited) and what the project's blobs take. */
  storage_limit: number;
  storage_used: number;
}

export interface MemberView {
  id: number;
  project_id: number;
  entity_name: string;
  /** u: a user, g: a group. */
  entity_type: 'u' | 'g';
  entity_id: number;
  role_id: number;
  role_name: string;
}

export interface PermissionView {
  resource: string;
  action: string;
}

export interface QuotaView {
  id: number;
  ref: { id: number; name: string; owner_name: string | null };
  hard: { storage: number };
  used: { storage: number };
  creation_time: string;
  update_time: string;
}

export interface RepositoryView {
  id: number;
  name: string;
  project_id: number;
  description: string;
  artifact_count: number;
  pull_count: number;
  creation_time: string;
  update_time: string;
}

export interface TagView {
  id: number;
  name: string;
  repository_id: number;
  artifact_id: number;
  push_time: string;
  /** The last pull by this tag's name, Harbor's zero time for never. */
  pull_time: string;
  immutable: boolean;
}

/** An index entry's platform, as the index says it (OCI image index). */
export interface Platform {
  architecture?: string;
  os?: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface ArtifactView {
  id: number;
  type: string;
  digest: string;
  media_type: string;
  manifest_media_type: string;
  artifact_type: string | null;
  /** Berth: the artifact this one refers to (a signature's or an SBOM's subject). */
  subject_digest: string | null;
  project_id: number;
  repository_id: number;
  repository_name: string;
  size: number;
  push_time: string;
  /** When a client last pulled it (Harbor's zero time: never); written a few seconds after the pull. */
  pull_time: string;
  annotations: Record<string, string>;
  /** Harbor's links to additions (build history, vulnerabilities): none yet. */
  addition_links: Record<string, { href: string; absolute: boolean }>;
  /** With with_scan_overview=true: the artifact's scan, under the report's MIME type. */
  scan_overview?: Record<string, ScanOverviewView>;
  /** What the config says: an image's architecture, os, config, created and author. */
  extra_attrs: Record<string, unknown>;
  tags: TagView[];
  references: Array<{ child_digest: string; platform?: Platform }>;
}

export interface RobotView {
  id: number;
  name: string;
  description: string;
  level: 'system' | 'project';
  disable: boolean;
  /** Harbor: false only for robots of its old v1 format; every Berth robot can be edited. */
  editable: boolean;
  duration: number;
  expires_at: number;
  creation_time: string;
  update_time: string;
  permissions: Array<{ kind: 'project'; namespace: string; access: Array<{ resource: string; action: string; effect: 'allow' }> }>;
}

export interface AuditLogView {
  id: number;
  op_time: string;
  username: string;
  actor_type: 'user' | 'robot' | 'anonymous' | 'system';
  client_address: string | null;
  operation: string;
  resource_type: string;
  resource: string;
  project_id: number | null;
  project_name: string | null;
  is_successful: boolean;
  /** Berth: how many equal events of the same second this row stands for (a storm of pulls is counted, not repeated). */
  count: number;
  error_code: string | null;
  user_agent: string | null;
  request_id: string | null;
  /** The row's link in the hash chain (GET /audit-logs/verify checks it). */
  hash: string;
}

export interface RegistryView {
  id: number;
  name: string;
  description: string;
  type: string;
  url: string;
  insecure: boolean;
  /** The secret comes back masked, or "" when none is stored. */
  credential: { type: string; access_key: string; access_secret: string };
  status: string;
  creation_time: string;
  update_time: string;
}

/** A field of a registry type's form: the console builds the form from these. */
export interface AdapterField {
  key: 'url' | 'access_key' | 'access_secret' | 'insecure';
  label: string;
  type: 'url' | 'text' | 'password' | 'boolean';
  required: boolean;
  placeholder?: string;
  help?: string;
}

export interface AdapterInfo {
  type: string;
  description: string;
  supported_resource_filters: Array<{ type: string; style: string; values?: string[] }>;
  supported_triggers: string[];
  supported_copy_by_chunk: boolean;
  endpoint_pattern: { endpoint_type: string; endpoints: Array<{ key: string; value: string }> };
  credential_pattern: { access_key_type: string; access_key_data: string; access_secret_type: string; access_secret_data: string };
  fields: AdapterField[];
}

export interface PolicyTrigger {
  type: 'manual' | 'scheduled' | 'event_based';
  trigger_settings: { cron: string };
}

export interface PolicyFilter {
  type: 'name' | 'tag' | 'resource';
  value: string;
  decoration: 'matches' | 'excludes';
}

export interface PolicyView {
  id: number;
  name: string;
  description: string;
  /** One side is a remote registry, the other this Berth (id 0, "Local"). */
  src_registry: RegistryView;
  dest_registry: RegistryView;
  dest_namespace: string;
  dest_namespace_replace_count: number;
  trigger: PolicyTrigger;
  filters: PolicyFilter[];
  replicate_deletion: boolean;
  deletion: boolean;
  override: boolean;
  enabled: boolean;
  speed: number;
  copy_by_chunk: boolean;
  creation_time: string;
  update_time: string;
  /** Berth: when a scheduled, enabled rule runs next. */
  next_run_time: string | null;
}

export interface ExecutionView {
  id: number;
  policy_id: number;
  status: 'InProgress' | 'Succeed' | 'Failed' | 'Stopped';
  status_text: string;
  trigger: 'manual' | 'scheduled' | 'event_based';
  start_time: string;
  end_time: string | null;
  total: number;
  failed: number;
  succeed: number;
  in_progress: number;
  stopped: number;
}

export interface TaskView {
  id: number;
  execution_id: number;
  resource_type: string;
  /** repository:[tags] or repository@digest. */
  src_resource: string;
  dst_resource: string;
  operation: 'copy' | 'deletion';
  status: 'Pending' | 'InProgress' | 'Succeed' | 'Failed' | 'Stopped';
  status_text: string;
  digest: string | null;
  bytes: number;
  attempts: number;
  max_attempts: number;
  start_time: string | null;
  end_time: string | null;
  update_time: string;
}

/** A garbage collection run (Harbor's GCHistory, plus Berth's counts). */
export interface GcHistoryView {
  id: number;
  job_name: 'GC';
  job_kind: 'MANUAL' | 'SCHEDULE';
  /** JSON, as Harbor sends it: {"delete_untagged":…,"dry_run":…,"workers":…}. */
  job_parameters: string;
  schedule: { type: string; cron: string };
  job_status: 'Pending' | 'Running' | 'Success' | 'Error' | 'Stopped';
  deleted: boolean;
  creation_time: string;
  update_time: string;
  /** Berth: when the run started and ended, and what it deleted (or, dry, would delete). */
  start_time: string | null;
  end_time: string | null;
  dry_run: boolean;
  manifests_deleted: number;
  links_deleted: number;
  blobs_deleted: number;
  freed_bytes: number;
  /** Reviews left for a later run because a push held what they name. */
  postponed: number;
  error: string | null;
}

export interface GcScheduleView {
  schedule: { type: 'None' | 'Hourly' | 'Daily' | 'Weekly' | 'Custom'; cron: string; next_scheduled_time: string | null };
  parameters: { delete_untagged: boolean; dry_run: boolean; workers: number };
  creation_time: string;
  update_time: string;
}

/** A tag immutability rule (Harbor's ImmutableRule; one selector of each kind). */
export interface ImmutableRuleView {
  id: number;
  project_id: number;
  disabled: boolean;
  priority: number;
  action: 'immutable';
  template: 'immutable_template';
  tag_selectors: Array<{ kind: 'doublestar'; decoration: 'matches' | 'excludes'; pattern: string }>;
  scope_selectors: { repository: Array<{ kind: 'doublestar'; decoration: 'repoMatches' | 'repoExcludes'; pattern: string }> };
}

/** Harbor's retention rule templates (what each keeps of the artifacts its selectors chose). */
export type RetentionTemplate = 'latestPushedK' | 'latestPulledN' | 'nDaysSinceLastPush' | 'nDaysSinceLastPull' | 'always';

export interface RetentionRuleView {
  id: number;
  priority: number;
  disabled: boolean;
  action: 'retain';
  template: RetentionTemplate;
  /** Keyed by the template's name, e.g. {latestPushedK: 10}; empty for always. */
  params: Record<string, number>;
  /** extras is JSON text, {"untagged":true} (Harbor's shape). */
  tag_selectors: Array<{ kind: 'doublestar'; decoration: 'matches' | 'excludes'; pattern: string; extras: string }>;
  scope_selectors: { repository: Array<{ kind: 'doublestar'; decoration: 'repoMatches' | 'repoExcludes'; pattern: string }> };
}

export interface RetentionPolicyView {
  id: number;
  algorithm: 'or';
  rules: RetentionRuleView[];
  trigger: { kind: 'Schedule'; settings: { cron: string }; references: Record<string, never> };
  scope: { level: 'project'; ref: number };
  creation_time: string;
  update_time: string;
}

export interface RetentionMetadataView {
  templates: Array<{
    rule_template: RetentionTemplate;
    display_text: string;
    action: 'retain';
    params: Array<{ type: 'int'; unit: 'COUNT' | 'DAYS'; required: boolean }>;
  }>;
  scope_selectors: Array<{ display_text: string; kind: 'doublestar'; decorations: Array<'repoMatches' | 'repoExcludes'> }>;
  tag_selectors: Array<{ display_text: string; kind: 'doublestar'; decorations: Array<'matches' | 'excludes'> }>;
}

export type RetentionStatusView = 'Pending' | 'Running' | 'Success' | 'Error' | 'Stopped';

export interface RetentionExecutionView {
  id: number;
  policy_id: number;
  status: RetentionStatusView;
  trigger: 'MANUAL' | 'SCHEDULE';
  dry_run: boolean;
  start_time: string | null;
  end_time: string | null;
  error: string | null;
}

export interface RetentionTaskView {
  id: number;
  execution_id: number;
  repository: string;
  job_id: string;
  status: Exclude<RetentionStatusView, 'Pending'>;
  status_code: number;
  status_revision: number;
  /** Artifacts weighed, kept, and deleted (or, in a dry run, that would be). */
  total: number;
  retained: number;
  deleted: number;
  start_time: string;
  end_time: string | null;
}

/** Harbor's UserGroup: 1 LDAP (by DN). */
export interface UserGroupView {
  id: number;
  group_name: string;
  group_type: number;
  ldap_group_dn: string;
}

/** One setting of GET /configurations. */
export interface ConfigurationItem {
  value: unknown;
  editable: boolean;
}

/** A CVE allowlist: the system's (project_id 0) or a project's; expires_at in Unix seconds, null never. */
export interface CveAllowlistView {
  id: number;
  project_id: number;
  expires_at: number | null;
  items: Array<{ cve_id: string }>;
  creation_time: string;
  update_time: string;
}

/** Harbor's ScannerRegistration; access_credential is never shown ("*****" when set). */
export interface ScannerRegistrationView {
  uuid: string;
  name: string;
  description: string;
  url: string;
  disabled: boolean;
  is_default: boolean;
  auth: string;
  access_credential: string;
  skip_cert_verify: boolean;
  use_internal_addr: boolean;
  create_time: string;
  update_time: string;
}

/** The adapter's GET /api/v1/metadata (Harbor's ScannerAdapterMetadata). */
export interface ScannerMetadataView {
  scanner: { name: string; vendor: string; version: string };
  capabilities: Array<{ consumes_mime_types: string[]; produces_mime_types: string[] }>;
  properties: Record<string, string>;
}

/** Harbor's NativeReportSummary: one artifact's scan state and, once scanned, its counts. */
export interface ScanOverviewView {
  report_id: string;
  scan_status: string;
  severity: string;
  duration: number;
  summary: { total: number; fixable: number; summary: Record<string, number> } | null;
  start_time: string | null;
  end_time: string | null;
  complete_percent: number;
  scanner: { name: string; vendor: string; version: string } | null;
}
