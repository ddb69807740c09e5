// An execution's start and its planning: what the rule selects, listed once, becomes one
// queued task per artifact.
import {
  closeExecutionIfDone,
  createExecution,
  failExecution,
  findExecution,
  lockOpenExecution,
  type ExecutionTrigger,
} from '../../server/db/replicationExecutions.js';
import { findPolicy } from '../../server/db/replicationPolicies.js';
import { addTasks } from '../../server/db/replicationTasks.js';
import { sendPlan, sendTasks } from '../../server/replication/queue.js';
import type { WorkerContext } from '../context.js';
import { localTasks, remoteTasks } from './plan.js';

/** Opens an execution and queues its planning (undefined when this tick already ran). */
export async function startExecution(w: WorkerContext, policyId: number, trigger: ExecutionTrigger, scheduledFor?: Date): Promise<number | undefined> {
  const id = await w.deps.db.tx(async (q) => {
    const executionId = await createExecution(q, policyId, trigger, scheduledFor);
    if (executionId !== undefined) await sendPlan(w.boss, q, executionId);
    return executionId;
  });
  if (id !== undefined) w.wake();
  return id;
}

/**
 * Lists what the execution's rule selects and queues one task per artifact. `localUsable`
 * says why this Berth's /v2 cannot be used, if it cannot: the execution fails at once.
 */
export async function planExecution(w: WorkerContext, executionId: number, localUsable: () => Promise<string | undefined>): Promise<void> {
  const { db, log } = w.deps;
  const execution = await findExecution(db, executionId);
  if (execution?.status !== 'InProgress' || execution.total > 0) return;
  const unreachable = await localUsable();
  if (unreachable) return failExecution(db, executionId, unreachable);
  const policy = await findPolicy(db, execution.policy_id);
  if (!policy) return failExecution(db, executionId, 'the rule was deleted');
  try {
    const tasks = policy.src_registry_id === null ? await localTasks(db, policy) : await remoteTasks(await w.clients.remote(policy.src_registry_id), policy);
    const planned = await db.tx(async (q) => {
      const open = await lockOpenExecution(q, executionId);
      if (!open || open.tasks > 0) return false;
      const attempts = execution.trigger === 'event_based' ? w.settings.eventAttempts : w.settings.attempts;
      await sendTasks(w.boss, q, await addTasks(q, executionId, attempts, tasks));
      return true;
    });
    if (planned) log.info({ execution: executionId, rule: policy.name, tasks: tasks.length }, 'replication execution planned');
    w.wake();
    await closeExecutionIfDone(db, executionId);
  } catch (err) {
    log.warn({ err, execution: executionId }, 'replication execution could not be planned');
    await failExecution(db, executionId, `listing what to replicate failed: ${(err as Error).message}`);
  }
}
