// The replication queue: pg-boss 10 on Berth's own database (through Database.executeSql,
// so it shares Berth's pool). Jobs carry only ids; the rows in replication_executions and
// replication_tasks are the truth, and a task runs only for whoever claims its row, so a
// job delivered twice is harmless. See docs/design/0011.
import PgBoss from 'pg-boss';
import type { Database, Queryer } from '../db/database.js';

/** Plans an execution: lists what its rule selects and makes one task per artifact. */
export const planQueue = 'berth-replication-plan';
/** Runs one task (copies or deletes one artifact). */
export const taskQueue = 'berth-replication-task';

export interface PlanJob {
  executionId: number;
}
export interface TaskJob {
  taskId: number;
}

function bossOptions(db: Database, worker: boolean): PgBoss.ConstructorOptions {
  return {
    db: { executeSql: (text, values) => db.executeSql(text, values) },
    schema: 'pgboss',
    // Only a worker process runs pg-boss's maintenance; servers just send.
    supervise: worker,
    schedule: false,
    maintenanceIntervalSeconds: 60,
  };
}

/** A started pg-boss with Berth's queues: `worker` processes also supervise (expiry, archiving). */
export async function openQueue(db: Database, opts: { worker: boolean; onError?: (err: Error) => void }): Promise<PgBoss> {
  const boss = new PgBoss(bossOptions(db, opts.worker));
  boss.on('error', opts.onError ?? (() => undefined));
  await boss.start();
  // `short`: at most one queued (not yet active) job per task, however often it is sent.
  // Expiry is long because the row's lease, not pg-boss, notices a dead worker.
  await boss.createQueue(taskQueue, { name: taskQueue, policy: 'short', retryLimit: 0, expireInSeconds: 23 * 3600 });
  await boss.createQueue(planQueue, { name: planQueue, policy: 'short', retryLimit: 2, retryDelay: 10, expireInSeconds: 15 * 60 });
  return boss;
}

/** pg-boss statements inside the caller's transaction, so a job exists exactly when its row does. */
function inTx(q: Queryer): PgBoss.Db {
  return { executeSql: (text, values) => q.query(text, values) };
}

export async function sendPlan(boss: PgBoss, q: Queryer, executionId: number): Promise<void> {
  await boss.send(planQueue, { executionId } satisfies PlanJob, { singletonKey: `execution:${executionId}`, db: inTx(q) });
}

export async function sendTasks(boss: PgBoss, q: Queryer | undefined, taskIds: number[], startAfterSeconds = 0): Promise<void> {
  if (!taskIds.length) return;
  const jobs = taskIds.map((taskId) => ({
    name: taskQueue,
    data: { taskId } satisfies TaskJob,
    singletonKey: `task:${taskId}`,
    startAfter: String(startAfterSeconds),
  }));
  // One statement for any number of tasks.
  await (q ? boss.insert(jobs, { db: inTx(q) }) : boss.insert(jobs));
}

/** A server's sending side of the queue, started on first use and closed on shutdown. */
export class QueueHandle {
  private boss?: Promise<PgBoss>;

  constructor(private readonly db: Database) {}

  get(): Promise<PgBoss> {
    this.boss ??= openQueue(this.db, { worker: false }).catch((err) => {
      this.boss = undefined;
      throw err;
    });
    return this.boss;
  }

  async close(): Promise<void> {
    const boss = await this.boss?.catch(() => undefined);
    await boss?.stop({ graceful: false, close: false, wait: true });
  }
}
