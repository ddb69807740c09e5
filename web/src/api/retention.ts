// A project's tag retention policy (Harbor keeps its id in the project's metadata), its runs,
// their tasks and logs. Everything is keyed under ['retention', policy id].
import type { RetentionExecutionView, RetentionPolicyView, RetentionRuleView, RetentionTaskView } from '@berth/api-types';
import { getJson, getPage, post, put, request } from './client';

export type RuleBody = Pick<RetentionRuleView, 'disabled' | 'action' | 'template' | 'params' | 'tag_selectors' | 'scope_selectors'>;

export const retentionKeys = {
  policy: (id: number) => ['retention', id] as const,
  runs: (id: number, page: number) => ['retention', id, 'runs', page] as const,
  tasks: (id: number, run: number) => ['retention', id, 'tasks', run] as const,
  log: (id: number, run: number, task: number) => ['retention', id, 'log', run, task] as const,
};

export function getRetention(id: number) {
  return getJson<RetentionPolicyView>(`/retentions/${id}`);
}

const policyBody = (projectId: number, rules: RuleBody[], cron: string) => ({
  algorithm: 'or',
  rules,
  trigger: { kind: 'Schedule', settings: { cron } },
  scope: { level: 'project', ref: projectId },
});

/** Creates the project's policy; its id. */
export async function createRetention(projectId: number, rules: RuleBody[], cron: string): Promise<number> {
  const res = await post('/retentions', policyBody(projectId, rules, cron));
  return Number(res.headers.get('Location')?.split('/').pop());
}

export function saveRetention(id: number, projectId: number, rules: RuleBody[], cron: string) {
  return put(`/retentions/${id}`, policyBody(projectId, rules, cron));
}

export function runRetention(id: number, dryRun: boolean) {
  return post(`/retentions/${id}/executions`, { dry_run: dryRun });
}

export function stopRetentionRun(id: number, run: number) {
  return request('PATCH', `/retentions/${id}/executions/${run}`, { action: 'stop' });
}

export function listRetentionRuns(id: number, p: { page: number; pageSize: number }) {
  return getPage<RetentionExecutionView>(`/retentions/${id}/executions?page=${p.page}&page_size=${p.pageSize}`);
}

export function listRetentionTasks(id: number, run: number) {
  return getPage<RetentionTaskView>(`/retentions/${id}/executions/${run}/tasks?page_size=100`);
}

export async function getRetentionTaskLog(id: number, run: number, task: number): Promise<string> {
  return (await request('GET', `/retentions/${id}/executions/${run}/tasks/${task}`)).text();
}
