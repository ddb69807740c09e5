// Runs of replication rules (Harbor's /api/v2.0/replication/executions): started by hand
// here, by a rule's schedule or by events in the worker; each has one task per artifact.
// The API only writes rows and queues the planning; workers do the copying.
import { DomainError } from '../lib/errors.js';
import type { Paging } from '../lib/query.js';
import { requireAdmin, type Principal } from '../lib/principal.js';
import { recordAudit } from '../audit/record.js';
import { createExecution, findExecution, listExecutions, stopExecution, type ExecutionRow } from '../db/replicationExecutions.js';
import { findTask, listTasks, type TaskRow } from '../db/replicationTasks.js';
import { findPolicy } from '../db/replicationPolicies.js';
import { sendPlan } from './queue.js';
import type { ReplicationDeps } from './registries.js';
import type { ExecutionView, TaskView } from '../lib/harborTypes.js';

const admins = 'only system administrators manage replication';
const bad = (message: string) => new DomainError('INVALID', message);
const executionStatuses = ['InProgress', 'Succeed', 'Failed', 'Stopped'];
const taskStatuses = ['Pending', 'InProgress', 'Succeed', 'Failed', 'Stopped'];
const triggers = ['manual', 'scheduled', 'event_based'];

export function executionView(e: ExecutionRow): ExecutionView {
  return {
    id: e.id,
    policy_id: e.policy_id,
    status: e.status,
    status_text: e.status_text,
    trigger: e.trigger,
    start_time: new Date(e.start_time).toISOString(),
    end_time: e.end_time ? new Date(e.end_time).toISOString() : null,
    total: e.total,
    failed: e.failed,
    succeed: e.succeed,
    in_progress: e.in_progress,
    stopped: e.stopped,
  };
}

function resource(repository: string, reference: string, tags: string[]): string {
  if (tags.length) return `${repository}:[${tags.join(',')}]`;
  return reference.includes(':') ? `${repository}@${reference}` : `${repository}:${reference}`;
}

export function taskView(t: TaskRow): TaskView {
  return {
    id: t.id,
    execution_id: t.execution_id,
    resource_type: t.resource_type,
    src_resource: resource(t.src_repository, t.reference, t.tags),
    dst_resource: resource(t.dst_repository, t.reference, t.tags),
    operation: t.operation,
    status: t.status,
    status_text: t.status_text,
    digest: t.digest,
    bytes: t.bytes,
    attempts: t.attempts,
    max_attempts: t.max_attempts,
    start_time: t.start_time ? new Date(t.start_time).toISOString() : null,
    end_time: t.end_time ? new Date(t.end_time).toISOString() : null,
    update_time: new Date(t.update_time).toISOString(),
  };
}

function id(text: string, what: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new DomainError('NOT_FOUND', `${what} ${text.slice(0, 50)} not found`);
  return Number(text);
}

async function execution(deps: ReplicationDeps, text: string): Promise<ExecutionRow> {
  const row = await findExecution(deps.db, id(text, 'execution'));
  if (!row) throw new DomainError('NOT_FOUND', `execution ${text.slice(0, 50)} not found`);
  return row;
}

/** POST /replication/executions {policy_id}: a manual run; the workers plan and copy it. */
export async function startExecution(deps: ReplicationDeps, principal: Principal, input: { policy_id?: unknown }): Promise<number> {
  requireAdmin(principal, admins);
  if (typeof input.policy_id !== 'number' || !Number.isSafeInteger(input.policy_id)) throw bad('policy_id must be a replication rule id');
  if (!deps.queue) throw new DomainError('INTERNAL', 'replication is not configured on this server');
  const boss = await deps.queue.get();
  const policyId = input.policy_id;
  return deps.db.tx(async (q) => {
    const policy = await findPolicy(q, policyId);
    if (!policy) throw new DomainError('NOT_FOUND', `replication rule ${policyId} not found`);
    if (!policy.enabled) throw bad(`replication rule ${policy.name} is disabled; enable it first`);
    const executionId = (await createExecution(q, policy.id, 'manual'))!;
    await sendPlan(boss, q, executionId);
    await recordAudit(q, { operation: 'create', resourceType: 'replication_execution', resource: `${policy.name} #${executionId}` });
    return executionId;
  });
}

export async function listExecutionsFor(
  deps: ReplicationDeps,
  principal: Principal,
  filter: { policy_id?: string; status?: string; trigger?: string },
  paging: Paging,
) {
  requireAdmin(principal, admins);
  if (filter.policy_id !== undefined && !/^\d{1,15}$/.test(filter.policy_id)) throw bad('policy_id must be a replication rule id');
  if (filter.status !== undefined && !executionStatuses.includes(filter.status)) throw bad(`status is one of ${executionStatuses.join(', ')}`);
  if (filter.trigger !== undefined && !triggers.includes(filter.trigger)) throw bad(`trigger is one of ${triggers.join(', ')}`);
  const { rows, total } = await listExecutions(
    deps.db,
    { policyId: filter.policy_id === undefined ? undefined : Number(filter.policy_id), status: filter.status, trigger: filter.trigger },
    paging.pageSize,
    paging.offset,
  );
  return { items: rows.map(executionView), total };
}

export async function getExecutionFor(deps: ReplicationDeps, principal: Principal, executionId: string) {
  requireAdmin(principal, admins);
  return executionView(await execution(deps, executionId));
}

/** PUT /replication/executions/{id}: stops it; tasks being copied stop at their next lease renewal. */
export async function stopExecutionFor(deps: ReplicationDeps, principal: Principal, executionId: string): Promise<void> {
  requireAdmin(principal, admins);
  const e = await execution(deps, executionId);
  // Harbor answers 200 for an execution that has already ended: there is nothing left to stop.
  await deps.db.tx(async (q) => {
    if (await stopExecution(q, e.id)) await recordAudit(q, { operation: 'update', resourceType: 'replication_execution', resource: `#${e.id} stopped` });
  });
}

export async function listTasksFor(
  deps: ReplicationDeps,
  principal: Principal,
  executionId: string,
  filter: { status?: string; resource_type?: string },
  paging: Paging,
) {
  requireAdmin(principal, admins);
  // NOTE: the filter is checked before the lookup, so a malformed request is a 400 whether
  // or not the execution exists.
  if (filter.status !== undefined && !taskStatuses.includes(filter.status)) throw bad(`status is one of ${taskStatuses.join(', ')}`);
  const e = await execution(deps, executionId);
  const { rows, total } = await listTasks(deps.db, e.id, { status: filter.status, resourceType: filter.resource_type }, paging.pageSize, paging.offset);
  return { items: rows.map(taskView), total };
}

export async function taskLogFor(deps: ReplicationDeps, principal: Principal, executionId: string, taskId: string): Promise<string> {
  requireAdmin(principal, admins);
  const task = await findTask(deps.db, id(executionId, 'execution'), id(taskId, 'task'));
  if (!task) throw new DomainError('NOT_FOUND', `task ${taskId.slice(0, 50)} of execution ${executionId.slice(0, 50)} not found`);
  return task.log;
}
