// SQL of replication tasks: one artifact of an execution each, claimed by a worker under a
// lease, with its attempts and log (migration 0009).
import type { Queryer } from './database.js';
import type { ExecutionTrigger } from './replicationExecutions.js';

export type TaskStatus = 'Pending' | 'InProgress' | 'Succeed' | 'Failed' | 'Stopped';

export interface TaskRow {
  id: number;
  execution_id: number;
  operation: 'copy' | 'deletion';
  resource_type: string;
  src_repository: string;
  dst_repository: string;
  reference: string;
  tags: string[];
  status: TaskStatus;
  status_text: string;
  attempts: number;
  max_attempts: number;
  bytes: number;
  digest: string | null;
  start_time: Date | null;
  end_time: Date | null;
  update_time: Date;
}

export interface NewTask {
  operation: 'copy' | 'deletion';
  srcRepository: string;
  dstRepository: string;
  reference: string;
  tags: string[];
}

const taskColumns = `id, execution_id, operation, resource_type, src_repository, dst_repository, reference, tags, status, status_text,
  attempts, max_attempts, bytes, digest, start_time, end_time, update_time`;

const taskColumnsOfT = taskColumns
  .split(',')
  .map((c) => `t.${c.trim()}`)
  .join(', ');

export async function addTasks(q: Queryer, executionId: number, maxAttempts: number, tasks: NewTask[]): Promise<number[]> {
  if (!tasks.length) return [];
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO replication_tasks (execution_id, max_attempts, operation, src_repository, dst_repository, reference, tags)
     SELECT $1, $2, t.operation, t.src, t.dst, t.ref, ARRAY(SELECT jsonb_array_elements_text(t.tags))
       FROM jsonb_to_recordset($3::jsonb) AS t(operation text, src text, dst text, ref text, tags jsonb)
     RETURNING id`,
    [
      executionId,
      maxAttempts,
      JSON.stringify(tasks.map((t) => ({ operation: t.operation, src: t.srcRepository, dst: t.dstRepository, ref: t.reference, tags: t.tags }))),
    ],
  );
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

/**
 * Claims a task for `worker`: a pending task whose time has come, or one whose worker's
 * lease ran out (it died). Undefined when someone else holds it or it is finished.
 */
export async function claimTask(
  q: Queryer,
  id: number,
  worker: string,
  leaseSeconds: number,
): Promise<(TaskRow & { previous_worker: string | null }) | undefined> {
  const { rows } = await q.query<TaskRow & { previous_worker: string | null }>(
    `WITH old AS (SELECT id, worker FROM replication_tasks WHERE id = $1 FOR UPDATE)
     UPDATE replication_tasks t SET status = 'InProgress', worker = $2, attempts = t.attempts + 1,
            lease_until = now() + make_interval(secs => $3), start_time = coalesce(t.start_time, now()), update_time = now()
       FROM old
      WHERE t.id = old.id AND ((t.status = 'Pending' AND t.next_attempt_at <= now() + interval '1 second')
                            OR (t.status = 'InProgress' AND t.lease_until < now()))
      RETURNING ${taskColumnsOfT}, old.worker AS previous_worker`,
    [id, worker, leaseSeconds],
  );
  return rows[0];
}

/** Extends the lease; false when the task is no longer this worker's (stopped, or taken over). */
export async function renewLease(q: Queryer, id: number, worker: string, leaseSeconds: number, bytes: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE replication_tasks SET lease_until = now() + make_interval(secs => $3), bytes = $4, update_time = now()
      WHERE id = $1 AND worker = $2 AND status = 'InProgress'`,
    [id, worker, leaseSeconds, bytes],
  );
  return rowCount > 0;
}

/** Ends this worker's attempt: finished (Succeed/Failed), or back to Pending after `retryInSeconds`. */
export async function endAttempt(
  q: Queryer,
  id: number,
  worker: string,
  outcome: { status: 'Succeed' | 'Failed' | 'Pending'; text: string; bytes: number; digest?: string; retryInSeconds?: number; log: string },
): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE replication_tasks SET status = $3, status_text = $4, bytes = $5, digest = coalesce($6, digest),
            next_attempt_at = now() + make_interval(secs => $7), worker = NULL, lease_until = NULL,
            end_time = CASE WHEN $3 = 'Pending' THEN NULL ELSE now() END, update_time = now(),
            log = right(log || $8, 262144)
      WHERE id = $1 AND worker = $2 AND status = 'InProgress'`,
    [id, worker, outcome.status, outcome.text.slice(0, 2000), outcome.bytes, outcome.digest ?? null, outcome.retryInSeconds ?? 0, outcome.log],
  );
  return rowCount > 0;
}

/** Appends to a task's log whoever holds it (a stopped task keeps what its worker wrote). */
export async function appendTaskLog(q: Queryer, id: number, text: string): Promise<void> {
  await q.query(`UPDATE replication_tasks SET log = right(log || $2, 262144) WHERE id = $1`, [id, text]);
}

/**
 * Gives tasks whose worker's lease ran out back to Pending, and returns them with pending
 * tasks overdue by `overdueSeconds` (their job was lost), so they can be queued again.
 */
export async function reclaimableTasks(q: Queryer, overdueSeconds: number): Promise<number[]> {
  const { rows } = await q.query<{ id: number }>(
    `UPDATE replication_tasks SET status = 'Pending', worker = NULL, lease_until = NULL, next_attempt_at = now(), update_time = now(),
            log = right(log || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' worker ' || coalesce(worker, '?') || ' stopped answering; the task is queued again' || chr(10), 262144)
      WHERE status = 'InProgress' AND lease_until < now()
      RETURNING id`,
    [],
  );
  const { rows: overdue } = await q.query<{ id: number }>(
    `UPDATE replication_tasks SET next_attempt_at = now(), update_time = now()
      WHERE status = 'Pending' AND next_attempt_at < now() - make_interval(secs => $1)
      RETURNING id`,
    [overdueSeconds],
  );
  return [...rows, ...overdue].map((r) => r.id);
}

export async function listTasks(
  q: Queryer,
  executionId: number,
  filter: { status?: string; resourceType?: string },
  limit: number,
  offset: number,
): Promise<{ rows: TaskRow[]; total: number }> {
  const where = `execution_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR resource_type = $3)`;
  const args = [executionId, filter.status ?? null, filter.resourceType ?? null];
  const total = (await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM replication_tasks WHERE ${where}`, args)).rows[0].n;
  const { rows } = await q.query<TaskRow>(`SELECT ${taskColumns} FROM replication_tasks WHERE ${where} ORDER BY id LIMIT $4 OFFSET $5`, [
    ...args,
    limit,
    offset,
  ]);
  return { rows, total };
}

export async function findTask(q: Queryer, executionId: number, taskId: number): Promise<(TaskRow & { log: string }) | undefined> {
  const { rows } = await q.query<TaskRow & { log: string }>(`SELECT ${taskColumns}, log FROM replication_tasks WHERE execution_id = $1 AND id = $2`, [
    executionId,
    taskId,
  ]);
  return rows[0];
}

/** The task with its execution's rule, as the worker needs them. */
export async function findTaskForRun(q: Queryer, id: number): Promise<{ execution_id: number; policy_id: number; trigger: ExecutionTrigger } | undefined> {
  const { rows } = await q.query<{ execution_id: number; policy_id: number; trigger: ExecutionTrigger }>(
    `SELECT t.execution_id, e.policy_id, e.trigger FROM replication_tasks t JOIN replication_executions e ON e.id = t.execution_id WHERE t.id = $1`,
    [id],
  );
  return rows[0];
}
