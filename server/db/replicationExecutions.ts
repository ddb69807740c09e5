// SQL of replication executions, one run of a rule, with their task counts (migration 0009).
import type { Queryer } from './database.js';

export type ExecutionStatus = 'InProgress' | 'Succeed' | 'Failed' | 'Stopped';
export type ExecutionTrigger = 'manual' | 'scheduled' | 'event_based';

export interface ExecutionRow {
  id: number;
  policy_id: number;
  status: ExecutionStatus;
  status_text: string;
  trigger: ExecutionTrigger;
  start_time: Date;
  end_time: Date | null;
  total: number;
  failed: number;
  succeed: number;
  in_progress: number;
  stopped: number;
}

const executionColumns = `e.id, e.policy_id, e.status, e.status_text, e.trigger, e.start_time, e.end_time,
  c.total, c.failed, c.succeed, c.in_progress, c.stopped`;
const taskCounts = `CROSS JOIN LATERAL (
  SELECT count(*)::int AS total,
         count(*) FILTER (WHERE t.status = 'Failed')::int AS failed,
         count(*) FILTER (WHERE t.status = 'Succeed')::int AS succeed,
         count(*) FILTER (WHERE t.status IN ('Pending', 'InProgress'))::int AS in_progress,
         count(*) FILTER (WHERE t.status = 'Stopped')::int AS stopped
    FROM replication_tasks t WHERE t.execution_id = e.id) c`;

/** A new execution; undefined when this scheduled tick already has one. */
export async function createExecution(q: Queryer, policyId: number, trigger: ExecutionTrigger, scheduledFor?: Date): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO replication_executions (policy_id, trigger, scheduled_for) VALUES ($1, $2, $3)
     ON CONFLICT ON CONSTRAINT uq_replication_executions_tick DO NOTHING RETURNING id`,
    [policyId, trigger, scheduledFor ?? null],
  );
  return rows[0]?.id;
}

/**
 * Closes an execution once none of its tasks is open: Failed if any failed, Stopped if any
 * stopped, else Succeed. Returns the status it closed with.
 */
export async function closeExecutionIfDone(q: Queryer, executionId: number): Promise<ExecutionStatus | undefined> {
  const { rows } = await q.query<{ status: ExecutionStatus }>(
    `UPDATE replication_executions e
        SET status = CASE WHEN c.failed > 0 THEN 'Failed' WHEN c.stopped > 0 THEN 'Stopped' ELSE 'Succeed' END,
            status_text = CASE WHEN c.failed > 0 THEN c.failed || ' of ' || c.total || ' task(s) failed' ELSE '' END,
            end_time = now()
       FROM (SELECT count(*)::int AS total,
                    count(*) FILTER (WHERE status = 'Failed')::int AS failed,
                    count(*) FILTER (WHERE status = 'Stopped')::int AS stopped,
                    count(*) FILTER (WHERE status IN ('Pending', 'InProgress'))::int AS open
               FROM replication_tasks WHERE execution_id = $1) c
      WHERE e.id = $1 AND e.status = 'InProgress' AND c.open = 0
      RETURNING e.status`,
    [executionId],
  );
  return rows[0]?.status;
}

/** Fails an execution that could not even list what to copy. */
export async function failExecution(q: Queryer, executionId: number, text: string): Promise<void> {
  await q.query(`UPDATE replication_executions SET status = 'Failed', status_text = $2, end_time = now() WHERE id = $1 AND status = 'InProgress'`, [
    executionId,
    text.slice(0, 2000),
  ]);
}

/** Stops an execution: open tasks become Stopped (a worker copying one notices at its next lease renewal). */
export async function stopExecution(q: Queryer, executionId: number): Promise<boolean> {
  const { rowCount } = await q.query(`UPDATE replication_executions SET status = 'Stopped', end_time = now() WHERE id = $1 AND status = 'InProgress'`, [
    executionId,
  ]);
  if (!rowCount) return false;
  await q.query(
    `UPDATE replication_tasks SET status = 'Stopped', end_time = now(), update_time = now(), worker = NULL, lease_until = NULL
      WHERE execution_id = $1 AND status IN ('Pending', 'InProgress')`,
    [executionId],
  );
  return true;
}

export async function findExecution(q: Queryer, id: number): Promise<ExecutionRow | undefined> {
  const { rows } = await q.query<ExecutionRow>(`SELECT ${executionColumns} FROM replication_executions e ${taskCounts} WHERE e.id = $1`, [id]);
  return rows[0];
}

export async function listExecutions(
  q: Queryer,
  filter: { policyId?: number; status?: string; trigger?: string },
  limit: number,
  offset: number,
): Promise<{ rows: ExecutionRow[]; total: number }> {
  const where = `($1::bigint IS NULL OR e.policy_id = $1) AND ($2::text IS NULL OR e.status = $2) AND ($3::text IS NULL OR e.trigger = $3)`;
  const args = [filter.policyId ?? null, filter.status ?? null, filter.trigger ?? null];
  const total = (await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM replication_executions e WHERE ${where}`, args)).rows[0].n;
  const { rows } = await q.query<ExecutionRow>(
    `SELECT ${executionColumns} FROM replication_executions e ${taskCounts} WHERE ${where} ORDER BY e.id DESC LIMIT $4 OFFSET $5`,
    [...args, limit, offset],
  );
  return { rows, total };
}

/** Locks an open execution for planning; how many tasks it has, or undefined when it is closed. */
export async function lockOpenExecution(q: Queryer, id: number): Promise<{ tasks: number } | undefined> {
  const { rows } = await q.query<{ tasks: number }>(
    `SELECT (SELECT count(*)::int FROM replication_tasks WHERE execution_id = e.id) AS tasks
       FROM replication_executions e WHERE e.id = $1 AND e.status = 'InProgress' FOR UPDATE`,
    [id],
  );
  return rows[0];
}
