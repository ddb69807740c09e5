// Replication's resources: registries and their adapters' forms, rules (policies),
// executions, their tasks and each task's log; the paths and the query keys.
import type { AdapterInfo, ExecutionView, PolicyFilter, PolicyTrigger, PolicyView, RegistryView, TaskView } from '@berth/api-types';
import { del, getJson, getPage, post, put, request } from './client';

export const registryKeys = {
  all: ['registries'] as const,
  list: (page: number) => ['registries', page] as const,
  /** The first hundred, the rule form's choices. */
  choices: ['registries', 'all'] as const,
};

export const adapterInfoKeys = { all: ['adapterinfos'] as const };

export const policyKeys = {
  all: ['policies'] as const,
  list: (page: number) => ['policies', page] as const,
  /** The first hundred, to name the rule of each execution. */
  names: ['policies', 'all'] as const,
};

export const executionKeys = {
  list: (page: number) => ['executions', page] as const,
  one: (id: string) => ['execution', id] as const,
};

export const taskKeys = {
  list: (executionId: string, page: number) => ['tasks', executionId, page] as const,
  log: (taskId: number) => ['log', taskId] as const,
};

/** What the registry form sends (and tests); the credential is left out when there is none. */
export interface RegistryBody {
  id?: number;
  name: string;
  type: string;
  url: string;
  insecure: boolean;
  credential?: { type: string; access_key: string; access_secret: string };
}

/** A rule's filter as the form sends it: only the tag filter says whether it matches or excludes. */
export type PolicyFilterBody = Omit<PolicyFilter, 'decoration'> & { decoration?: PolicyFilter['decoration'] };

/** What the rule form sends: the side that is this Berth is null. */
export interface PolicyBody {
  name: string;
  src_registry: { id: number | '' } | null;
  dest_registry: { id: number | '' } | null;
  filters: PolicyFilterBody[];
  trigger: PolicyTrigger;
  dest_namespace: string;
  dest_namespace_replace_count: number;
  override: boolean;
  replicate_deletion: boolean;
  enabled: boolean;
  /** KB/s; -1 is unlimited. */
  speed: number;
}

export function listRegistries(p: { page: number; pageSize: number }) {
  return getPage<RegistryView>(`/registries?page=${p.page}&page_size=${p.pageSize}`);
}

export function listRegistryChoices() {
  return getPage<RegistryView>('/registries?page=1&page_size=100');
}

/** Whether the registry answers and accepts the credentials: a stored one by its id, or one being edited. */
export function pingRegistry(body: RegistryBody | { id: number }) {
  return post('/registries/ping', body);
}

export function createRegistry(body: RegistryBody) {
  return post('/registries', body);
}

export function updateRegistry(id: number, body: RegistryBody) {
  return put(`/registries/${id}`, body);
}

/** A registry that rules use cannot be deleted. */
export function deleteRegistry(id: number) {
  return del(`/registries/${id}`);
}

/** Each registry type's description and form fields, by type. */
export function getAdapterInfos() {
  return getJson<Record<string, AdapterInfo>>('/replication/adapterinfos');
}

export function listPolicies(p: { page: number; pageSize: number }) {
  return getPage<PolicyView>(`/replication/policies?page=${p.page}&page_size=${p.pageSize}`);
}

export function listPolicyNames() {
  return getPage<PolicyView>('/replication/policies?page=1&page_size=100');
}

export function createPolicy(body: PolicyBody) {
  return post('/replication/policies', body);
}

export function updatePolicy(id: number, body: PolicyBody) {
  return put(`/replication/policies/${id}`, body);
}

/** Deletes the rule and its execution history. */
export function deletePolicy(id: number) {
  return del(`/replication/policies/${id}`);
}

/** Runs a rule now; the new execution's id, from the Location the API answers with. */
export async function startExecution(policyId: number): Promise<string | undefined> {
  const res = await post('/replication/executions', { policy_id: policyId });
  return res.headers.get('Location')!.split('/').pop();
}

export function listExecutions(p: { page: number; pageSize: number }) {
  return getPage<ExecutionView>(`/replication/executions?page=${p.page}&page_size=${p.pageSize}`);
}

export function getExecution(id: string) {
  return getJson<ExecutionView>(`/replication/executions/${id}`);
}

/** Tasks being copied stop within seconds; what arrived stays. */
export function stopExecution(id: number) {
  return put(`/replication/executions/${id}`, {});
}

export function listTasks(executionId: string, p: { page: number; pageSize: number }) {
  return getPage<TaskView>(`/replication/executions/${executionId}/tasks?page=${p.page}&page_size=${p.pageSize}`);
}

/** A task's log, plain text. */
export async function getTaskLog(task: Pick<TaskView, 'id' | 'execution_id'>): Promise<string> {
  return (await request('GET', `/replication/executions/${task.execution_id}/tasks/${task.id}/log`)).text();
}
