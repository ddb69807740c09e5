// SQL of replication executions, their tasks, and the event outbox (migration 0009).
import type { Queryer } from './database.js';

export type ExecutionStatus = 'InProgress' | 'Succeed' | 'Failed' | 'Stopped';
export type TaskStatus = 'Pending' | 'InProgress' | 'Succeed' | 'Failed' | 'Stopped';
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

export interface ReplicationEvent {
  id: number;
  operation: 'push' | 'delete';
  repository: string;
  reference: string;
  digest: string | null;
  artifact_type: string | null;
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
const taskColumns = `id, execution_id, operation, resource_type, src_repository, dst_repository, reference, tags, status, status_text,
  attempts, max_attempts, bytes, digest, start_time, end_time, update_time`;

const taskColumnsOfT = taskColumns
  .split(',')
  .map((c) => `t.${c.trim()}`)
  .join(', ');

/**
 * Records a push or deletion for event-based rules, in the caller's transaction; writes
 * nothing (one cheap probe) while no enabled event-based rule exists.
 */
export async function queueReplicationEvent(q: Queryer, e: Omit<ReplicationEvent, 'id'>): Promise<void> {
  await q.query(
    `INSERT INTO replication_events (operation, repository, reference, digest, artifact_type)
     SELECT $1, $2, $3, $4, $5
      WHERE EXISTS (SELECT 1 FROM replication_policies WHERE enabled AND trig->>'type' = 'event_based')`,
    [e.operation, e.repository, e.reference, e.digest, e.artifact_type],
  );
}

/** Takes (deletes) the oldest events; in a transaction, so a crash before commit gives them back. */
export async function takeEvents(q: Queryer, limit: number): Promise<ReplicationEvent[]> {
  const { rows } = await q.query<ReplicationEvent>(
    `DELETE FROM replication_events WHERE id IN (SELECT id FROM replication_events ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING id, operation, repository, reference, digest, artifact_type`,
    [limit],
  );
  return rows.sort((a, b) => a.id - b.id);
}

/** A new execution; undefined when this scheduled tick already has one. */
export async function createExecution(q: Queryer, policyId: number, trigger: ExecutionTrigger, scheduledFor?: Date): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO replication_executions (policy_id, trigger, scheduled_for) VALUES ($1, $2, $3)
     ON CONFLICT ON CONSTRAINT uq_replication_executions_tick DO NOTHING RETURNING id`,
    [policyId, trigger, scheduledFor ?? null],
  );
  return rows[0]?.id;
}

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

export interface LocalArtifact {
  repository: string;
  digest: string;
  artifact_type: string | null;
  tags: string[];
}

/** Every repository name, for a push rule's name filter. */
export async function allRepositoryNames(q: Queryer): Promise<string[]> {
  const { rows } = await q.query<{ name: string }>('SELECT name FROM repositories ORDER BY name', []);
  return rows.map((r) => r.name);
}

/**
 * The artifacts of these repositories a copy starts from: each with its tags, leaving out
 * referrers (they travel with their subject) and untagged children of an index (they
 * travel with their parent).
 */
export async function localArtifacts(q: Queryer, repositories: string[]): Promise<LocalArtifact[]> {
  if (!repositories.length) return [];
  const { rows } = await q.query<LocalArtifact>(
    `SELECT r.name AS repository, m.digest, m.artifact_type,
            coalesce(array_agg(t.name ORDER BY t.name) FILTER (WHERE t.name IS NOT NULL), '{}') AS tags
       FROM repositories r
       JOIN manifests m ON m.repository_id = r.id
       LEFT JOIN tags t ON t.manifest_id = m.id
      WHERE r.name = ANY($1::text[]) AND m.subject_digest IS NULL
      GROUP BY r.name, m.id
     HAVING count(t.name) > 0
         OR NOT EXISTS (SELECT 1 FROM manifest_children c JOIN manifests p ON p.id = c.parent_id
                         WHERE p.repository_id = m.repository_id AND c.child_digest = m.digest)
      ORDER BY r.name, m.id`,
    [repositories],
  );
  return rows;
}

/** The enabled event-based rules (push rules by construction). */
export async function eventRuleIds(q: Queryer): Promise<number[]> {
  const { rows } = await q.query<{ id: number }>(`SELECT id FROM replication_policies WHERE enabled AND trig->>'type' = 'event_based' ORDER BY id`, []);
  return rows.map((r) => r.id);
}

/** The enabled scheduled rules with their cron expressions. */
export async function scheduledRules(q: Queryer): Promise<Array<{ id: number; cron: string }>> {
  const { rows } = await q.query<{ id: number; cron: string }>(
    `SELECT id, trig->'trigger_settings'->>'cron' AS cron FROM replication_policies WHERE enabled AND trig->>'type' = 'scheduled' ORDER BY id`,
    [],
  );
  return rows;
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
