// The /api/v2.0 shapes the console reads (Harbor's, plus Berth's documented additions);
// docs/openapi.yaml is the reference.
export interface User {
  user_id: number;
  username: string;
  email: string;
  realname: string;
  sysadmin_flag: boolean;
  creation_time: string;
}

export interface Project {
  project_id: number;
  name: string;
  public: boolean;
  owner_name: string;
  creation_time: string;
  update_time: string;
  /** 0: the caller holds no role in it. */
  current_user_role_id: number;
  repo_count: number;
  storage_limit: number;
  storage_used: number;
}

export interface Repository {
  id: number;
  name: string;
  project_id: number;
  artifact_count: number;
  pull_count: number;
  creation_time: string;
  update_time: string;
}

export interface Tag {
  id: number;
  name: string;
  push_time: string;
  pull_time: string;
}

export interface Artifact {
  id: number;
  type: string;
  digest: string;
  media_type: string;
  manifest_media_type: string;
  artifact_type: string | null;
  subject_digest: string | null;
  repository_name: string;
  size: number;
  push_time: string;
  /** Harbor's zero time when never pulled. */
  pull_time: string;
  tags: Tag[] | null;
  references: Array<{ child_digest: string; platform?: { architecture?: string; os?: string; variant?: string } }>;
}

export interface Page<T> {
  items: T[];
  total: number;
}

/** Harbor's role ids. */
export const roles: Record<number, string> = { 1: 'Project admin', 4: 'Maintainer', 2: 'Developer', 3: 'Guest', 5: 'Limited guest' };

export interface Member {
  id: number;
  project_id: number;
  entity_name: string;
  entity_type: string;
  role_id: number;
  role_name: string;
}

export interface Robot {
  id: number;
  name: string;
  description: string;
  level: 'system' | 'project';
  disable: boolean;
  duration: number;
  expires_at: number;
  creation_time: string;
  permissions: Array<{ kind: string; namespace: string; access: Array<{ resource: string; action: string }> }>;
}

export interface RegistryEndpoint {
  id: number;
  name: string;
  description: string;
  type: string;
  url: string;
  insecure: boolean;
  credential: { type: string; access_key: string; access_secret: string };
  status: string;
}

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
  fields: AdapterField[];
}

export interface PolicyFilter {
  type: 'name' | 'tag' | 'resource';
  value: string;
  decoration?: 'matches' | 'excludes';
}

export interface Policy {
  id: number;
  name: string;
  description: string;
  /** One side is a remote registry, the other this Berth: id 0, "Local". */
  src_registry: RegistryEndpoint;
  dest_registry: RegistryEndpoint;
  dest_namespace: string;
  dest_namespace_replace_count: number;
  trigger: { type: 'manual' | 'scheduled' | 'event_based'; trigger_settings: { cron: string } };
  filters: PolicyFilter[];
  replicate_deletion: boolean;
  override: boolean;
  enabled: boolean;
  speed: number;
  next_run_time: string | null;
}

export interface Execution {
  id: number;
  policy_id: number;
  status: 'InProgress' | 'Succeed' | 'Failed' | 'Stopped';
  status_text: string;
  trigger: string;
  start_time: string;
  end_time: string | null;
  total: number;
  failed: number;
  succeed: number;
  in_progress: number;
  stopped: number;
}

export interface Task {
  id: number;
  execution_id: number;
  src_resource: string;
  dst_resource: string;
  operation: string;
  status: string;
  status_text: string;
  bytes: number;
  attempts: number;
  max_attempts: number;
  start_time: string | null;
  end_time: string | null;
}

export interface AuditLog {
  id: number;
  op_time: string;
  username: string;
  actor_type: string;
  client_address: string | null;
  operation: string;
  resource_type: string;
  resource: string;
  project_name: string | null;
  is_successful: boolean;
  count: number;
  error_code: string | null;
}
