// Event-based replication: the pushes and deletions in the outbox become one execution per
// rule that selects them, in the transaction that takes them (a crash gives them back).
import { takeEvents } from '../../server/db/replicationEvents.js';
import { createExecution } from '../../server/db/replicationExecutions.js';
import { eventRuleIds, findPolicy } from '../../server/db/replicationPolicies.js';
import { addTasks, type NewTask } from '../../server/db/replicationTasks.js';
import { sendTasks } from '../../server/replication/queue.js';
import type { WorkerContext } from '../context.js';
import { eventTask } from './plan.js';
import { NamingError } from './selection.js';

/** How many executions it opened. */
export async function drainEvents(w: WorkerContext): Promise<number> {
  return w.deps.db.tx(async (q) => {
    const events = await takeEvents(q, 500);
    if (!events.length) return 0;
    let count = 0;
    for (const id of await eventRuleIds(q)) {
      const policy = await findPolicy(q, id);
      if (!policy) continue;
      const tasks = new Map<string, NewTask>();
      for (const e of events) {
        try {
          const t = eventTask(policy, e);
          if (t) tasks.set(JSON.stringify(t), t);
        } catch (err) {
          if (!(err instanceof NamingError)) throw err;
          w.deps.log.warn({ rule: policy.name, repository: e.repository, err: err.message }, 'event not replicated');
        }
      }
      if (!tasks.size) continue;
      const executionId = (await createExecution(q, policy.id, 'event_based'))!;
      await sendTasks(w.boss, q, await addTasks(q, executionId, w.settings.eventAttempts, [...tasks.values()]));
      count++;
    }
    return count;
  });
}
