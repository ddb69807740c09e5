// Tag retention as Harbor's API shows it (/api/v2.0/retentions…): a project's one policy,
// its runs (executions), their tasks (one per repository) and each task's log. Who may do
// what is the role table's tag-retention resource; retention/runner.ts makes the runs.
import { recordAudit } from '../audit/record.js';
import type { Database } from '../db/database.js';
import {
  createRetentionExecution,
  createRetentionPolicy,
  findRetentionExecution,
  findRetentionPolicy,
  listRetentionExecutions,
  listRetentionTasks,
  removeRetentionPolicy,
  retentionTaskLog,
  stopRetentionExecution,
  updateRetentionPolicy,
  type RetentionExecutionRow,
  type RetentionPolicyRow,
  type RetentionTaskRow,
} from '../db/retention.js';
import { parseCron } from '../gc/runs.js';
import { DomainError } from '../lib/errors.js';
import type { ProjectView, RetentionExecutionView, RetentionPolicyView, RetentionRuleView, RetentionTaskView } from '../lib/harborTypes.js';
import type { Principal } from '../lib/principal.js';
import type { Paging } from '../lib/query.js';
import { can, type Action } from '../projects/permissions.js';
import { visibleProject } from '../projects/projects.js';
import { maxRules, parseRule, retentionMetadata, type RuleInput } from './rules.js';

export { retentionMetadata };

export type StoredPolicy = RetentionPolicyRow<RetentionRuleView[]>;

function policyView(p: StoredPolicy): RetentionPolicyView {
  return {
    id: p.id,
    algorithm: 'or',
    rules: p.rules,
    trigger: { kind: 'Schedule', settings: { cron: p.cron }, references: {} },
    scope: { level: 'project', ref: p.project_id },
    creation_time: p.created_at.toISOString(),
    update_time: p.updated_at.toISOString(),
  };
}

function executionView(e: RetentionExecutionRow): RetentionExecutionView {
  return {
    id: e.id,
    policy_id: e.policy_id,
    status: e.status,
    trigger: e.trigger,
    dry_run: e.dry_run,
    start_time: e.start_time?.toISOString() ?? null,
    end_time: e.end_time?.toISOString() ?? null,
    error: e.error,
  };
}

function taskView(t: RetentionTaskRow): RetentionTaskView {
  return {
    id: t.id,
    execution_id: t.execution_id,
    repository: t.repository,
    job_id: `retention-${t.execution_id}-${t.id}`,
    status: t.status,
    status_code: { Running: 2, Stopped: 3, Error: 4, Success: 5 }[t.status],
    status_revision: 0,
    total: t.total,
    retained: t.retained,
    deleted: t.deleted,
    start_time: t.start_time.toISOString(),
    end_time: t.end_time?.toISOString() ?? null,
  };
}

function idOf(v: string | number, what: string): number {
  const s = String(v);
  if (!/^\d{1,15}$/.test(s)) throw new DomainError('INVALID', `${what} is a positive integer`);
  return Number(s);
}

async function projectAllowing(db: Database, principal: Principal, projectId: number, action: Action): Promise<ProjectView> {
  const { project, access } = await visibleProject(db, principal, String(projectId), false);
  if (!can(access, 'tag-retention', action)) {
    throw new DomainError(principal.kind === 'anonymous' ? 'UNAUTHENTICATED' : 'DENIED', `tag retention of ${project.name}: ${action} is not allowed for you`);
  }
  return project;
}

/** The policy and its project, when the principal may do `action` on it; NOT_FOUND hides one it may not see. */
async function policyAllowing(db: Database, principal: Principal, id: string, action: Action): Promise<{ policy: StoredPolicy; project: ProjectView }> {
  const policy = await findRetentionPolicy<RetentionRuleView[]>(db, idOf(id, 'a retention id'));
  if (!policy) throw new DomainError('NOT_FOUND', `retention policy ${id} not found`);
  try {
    return { policy, project: await projectAllowing(db, principal, policy.project_id, action) };
  } catch (err) {
    if (err instanceof DomainError && err.kind === 'NOT_FOUND') {
      if (principal.kind === 'anonymous') throw new DomainError('UNAUTHENTICATED', 'sign in to see retention policies');
      throw new DomainError('NOT_FOUND', `retention policy ${id} not found`);
    }
    throw err;
  }
}

export interface PolicyInput {
  algorithm?: unknown;
  rules?: unknown;
  trigger?: { kind?: unknown; settings?: { cron?: unknown } };
  scope?: { level?: unknown; ref?: unknown };
}

function parsePolicy(input: PolicyInput): { projectId: number; rules: RetentionRuleView[]; cron: string } {
  if (typeof input !== 'object' || input === null) throw new DomainError('INVALID', 'the body must be a retention policy');
  if (input.algorithm !== undefined && input.algorithm !== 'or') throw new DomainError('INVALID', 'algorithm must be or');
  if (input.scope?.level !== 'project') throw new DomainError('INVALID', 'scope.level must be project');
  const projectId = idOf(input.scope.ref as string, 'scope.ref (the project id)');
  const rules = input.rules ?? [];
  if (!Array.isArray(rules)) throw new DomainError('INVALID', 'rules must be a list');
  if (rules.length > maxRules) throw new DomainError('INVALID', `a policy holds at most ${maxRules} rules`);
  const parsed = rules.map((r, i) => parseRule(r as RuleInput, i));
  const kind = input.trigger?.kind;
  if (kind !== undefined && kind !== 'Schedule') throw new DomainError('INVALID', 'trigger.kind must be Schedule');
  const raw = input.trigger?.settings?.cron;
  const cron = raw === undefined || raw === '' || raw === null ? '' : parseCron(raw, 'trigger.settings.cron');
  return { projectId, rules: parsed, cron };
}

const summary = (rules: RetentionRuleView[], cron: string) => `${rules.length} rule(s)${cron ? `, schedule ${cron}` : ''}`;

export async function getRetentionPolicy(db: Database, principal: Principal, id: string): Promise<RetentionPolicyView> {
  return policyView((await policyAllowing(db, principal, id, 'read')).policy);
}

/** POST /retentions: the new policy's id. A project has one policy (CONFLICT for a second). */
export async function createRetention(db: Database, principal: Principal, input: PolicyInput): Promise<number> {
  const p = parsePolicy(input);
  const project = await projectAllowing(db, principal, p.projectId, 'create');
  return db.tx(async (q) => {
    const id = await createRetentionPolicy(q, project.project_id, p.rules, p.cron);
    if (id === undefined) throw new DomainError('CONFLICT', `project ${project.name} already has a retention policy; change it with PUT`);
    await recordAudit(q, {
      operation: 'create',
      resourceType: 'retention',
      resource: `${project.name} policy ${id}: ${summary(p.rules, p.cron)}`,
      projectId: project.project_id,
      projectName: project.name,
    });
    return id;
  });
}

/** PUT /retentions/{id}: the whole policy, for the same project. */
export async function updateRetention(db: Database, principal: Principal, id: string, input: PolicyInput): Promise<void> {
  const { policy, project } = await policyAllowing(db, principal, id, 'update');
  const p = parsePolicy({ ...input, scope: input?.scope ?? { level: 'project', ref: policy.project_id } });
  if (p.projectId !== policy.project_id) throw new DomainError('INVALID', `scope.ref must stay ${policy.project_id}: a policy belongs to its project`);
  await db.tx(async (q) => {
    await updateRetentionPolicy(q, policy.id, p.rules, p.cron);
    await recordAudit(q, {
      operation: 'update',
      resourceType: 'retention',
      resource: `${project.name} policy ${policy.id}: ${summary(p.rules, p.cron)}`,
      projectId: project.project_id,
      projectName: project.name,
    });
  });
}

export async function deleteRetention(db: Database, principal: Principal, id: string): Promise<void> {
  const { policy, project } = await policyAllowing(db, principal, id, 'delete');
  await db.tx(async (q) => {
    await removeRetentionPolicy(q, policy.id);
    await recordAudit(q, {
      operation: 'delete',
      resourceType: 'retention',
      resource: `${project.name} policy ${policy.id}`,
      projectId: project.project_id,
      projectName: project.name,
    });
  });
}

/** POST /retentions/{id}/executions {dry_run}: a run, Pending until a server's runner takes it; its id. */
export async function runRetention(db: Database, principal: Principal, id: string, input: { dry_run?: unknown }): Promise<number> {
  const { policy, project } = await policyAllowing(db, principal, id, 'operate');
  const dryRun = input?.dry_run ?? false;
  if (typeof dryRun !== 'boolean') throw new DomainError('INVALID', 'dry_run must be true or false');
  return db.tx(async (q) => {
    const eid = (await createRetentionExecution(q, policy.id, 'MANUAL', dryRun))!;
    await recordAudit(q, {
      operation: 'create',
      resourceType: 'retention_execution',
      resource: `${project.name} policy ${policy.id} run ${eid}${dryRun ? ' (dry run)' : ''}`,
      projectId: project.project_id,
      projectName: project.name,
    });
    return eid;
  });
}

export async function listRetentionRuns(db: Database, principal: Principal, id: string, paging: Paging) {
  const { policy } = await policyAllowing(db, principal, id, 'list');
  const { items, total } = await listRetentionExecutions(db, policy.id, paging.pageSize, paging.offset);
  return { items: items.map(executionView), total };
}

async function execution(db: Database, policy: StoredPolicy, eid: string): Promise<RetentionExecutionRow> {
  const e = await findRetentionExecution(db, policy.id, idOf(eid, 'an execution id'));
  if (!e) throw new DomainError('NOT_FOUND', `execution ${eid} of retention policy ${policy.id} not found`);
  return e;
}

/** PATCH /retentions/{id}/executions/{eid} {action: stop}. */
export async function stopRetentionRun(db: Database, principal: Principal, id: string, eid: string, input: { action?: unknown }): Promise<void> {
  const { policy, project } = await policyAllowing(db, principal, id, 'operate');
  if (input?.action !== 'stop') throw new DomainError('INVALID', 'action must be stop');
  const e = await execution(db, policy, eid);
  if (e.status !== 'Pending' && e.status !== 'Running') throw new DomainError('PRECONDITION_FAILED', `execution ${e.id} has ended (${e.status})`);
  await db.tx(async (q) => {
    await stopRetentionExecution(q, e.id);
    await recordAudit(q, {
      operation: 'update',
      resourceType: 'retention_execution',
      resource: `${project.name} policy ${policy.id} run ${e.id}: stop`,
      projectId: project.project_id,
      projectName: project.name,
    });
  });
}

export async function listRetentionRunTasks(db: Database, principal: Principal, id: string, eid: string, paging: Paging) {
  const { policy } = await policyAllowing(db, principal, id, 'list');
  const e = await execution(db, policy, eid);
  const { items, total } = await listRetentionTasks(db, e.id, paging.pageSize, paging.offset);
  return { items: items.map(taskView), total };
}

/** GET …/tasks/{tid}: the task's table of what was kept and deleted, and why. */
export async function getRetentionTaskLog(db: Database, principal: Principal, id: string, eid: string, tid: string): Promise<string> {
  const { policy } = await policyAllowing(db, principal, id, 'read');
  const e = await execution(db, policy, eid);
  const log = await retentionTaskLog(db, e.id, idOf(tid, 'a task id'));
  if (log === undefined) throw new DomainError('NOT_FOUND', `task ${tid} of execution ${e.id} not found`);
  return log;
}
