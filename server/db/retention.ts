// SQL of tag retention: policies, their executions and tasks (migration 0017), and the
// artifacts a run weighs.
import type { Queryer } from './database.js';

export type RetentionStatus = 'Pending' | 'Running' | 'Success' | 'Error' | 'Stopped';
export type RetentionTrigger = 'MANUAL' | 'SCHEDULE';

export interface RetentionPolicyRow<Rules = unknown> {
  id: number;
  project_id: number;
  rules: Rules;
  cron: string;
  created_at: Date;
  updated_at: Date;
}

export interface RetentionExecutionRow {
  id: number;
  policy_id: number;
  trigger: RetentionTrigger;
  dry_run: boolean;
  status: RetentionStatus;
  error: string | null;
  created_at: Date;
  start_time: Date | null;
  end_time: Date | null;
}

export interface RetentionTaskRow {
  id: number;
  execution_id: number;
  repository: string;
  status: Exclude<RetentionStatus, 'Pending'>;
  total: number;
  retained: number;
  deleted: number;
  start_time: Date;
  end_time: Date | null;
}

const policyColumns = 'id, project_id, rules, cron, created_at, updated_at';
const executionColumns = 'id, policy_id, trigger, dry_run, status, error, created_at, start_time, end_time';
const taskColumns = 'id, execution_id, repository, status, total, retained, deleted, start_time, end_time';

const policyRow = <R>(r: RetentionPolicyRow<R>): RetentionPolicyRow<R> => ({ ...r, id: Number(r.id), project_id: Number(r.project_id) });
const executionRow = (r: RetentionExecutionRow): RetentionExecutionRow => ({ ...r, id: Number(r.id), policy_id: Number(r.policy_id) });
const taskRow = (r: RetentionTaskRow): RetentionTaskRow => ({ ...r, id: Number(r.id), execution_id: Number(r.execution_id) });

/** The new policy's id; undefined when the project already has one. */
export async function createRetentionPolicy(q: Queryer, projectId: number, rules: unknown, cron: string): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO retention_policies (project_id, rules, cron) VALUES ($1, $2, $3)
     ON CONFLICT ON CONSTRAINT uq_retention_policies_project DO NOTHING RETURNING id`,
    [projectId, JSON.stringify(rules), cron],
  );
  return rows[0] ? Number(rows[0].id) : undefined;
}

export async function findRetentionPolicy<R>(q: Queryer, id: number): Promise<RetentionPolicyRow<R> | undefined> {
  const { rows } = await q.query<RetentionPolicyRow<R>>(`SELECT ${policyColumns} FROM retention_policies WHERE id = $1`, [id]);
  return rows[0] && policyRow(rows[0]);
}

/** The policy ids of these projects, for their metadata's retention_id. */
export async function retentionPolicyIds(q: Queryer, projectIds: number[]): Promise<Map<number, number>> {
  if (!projectIds.length) return new Map();
  const { rows } = await q.query<{ id: number; project_id: number }>('SELECT id, project_id FROM retention_policies WHERE project_id = ANY($1::bigint[])', [
    projectIds,
  ]);
  return new Map(rows.map((r) => [Number(r.project_id), Number(r.id)]));
}

export async function listScheduledRetentionPolicies(q: Queryer): Promise<Array<{ id: number; cron: string }>> {
  const { rows } = await q.query<{ id: number; cron: string }>("SELECT id, cron FROM retention_policies WHERE cron <> '' ORDER BY id", []);
  return rows.map((r) => ({ id: Number(r.id), cron: r.cron }));
}

export async function updateRetentionPolicy(q: Queryer, id: number, rules: unknown, cron: string): Promise<boolean> {
  const res = await q.query('UPDATE retention_policies SET rules = $2, cron = $3, updated_at = now() WHERE id = $1', [id, JSON.stringify(rules), cron]);
  return res.rowCount > 0;
}

export async function removeRetentionPolicy(q: Queryer, id: number): Promise<boolean> {
  const res = await q.query('DELETE FROM retention_policies WHERE id = $1', [id]);
  return res.rowCount > 0;
}

/** A new execution, Pending; undefined when this schedule tick already has one. */
export async function createRetentionExecution(
  q: Queryer,
  policyId: number,
  trigger: RetentionTrigger,
  dryRun: boolean,
  scheduledFor?: Date,
): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO retention_executions (policy_id, trigger, dry_run, scheduled_for) VALUES ($1, $2, $3, $4)
     ON CONFLICT ON CONSTRAINT uq_retention_executions_tick DO NOTHING RETURNING id`,
    [policyId, trigger, dryRun, scheduledFor ?? null],
  );
  return rows[0] ? Number(rows[0].id) : undefined;
}

/**
 * Takes the oldest execution that is Pending, or Running under a lease that ran out (its
 * server died), unless another execution of the same policy runs under a live lease: two
 * runs of one policy would weigh the same artifacts.
 */
export async function claimRetentionExecution(q: Queryer, worker: string, leaseSeconds: number): Promise<RetentionExecutionRow | undefined> {
  const { rows } = await q.query<RetentionExecutionRow>(
    `UPDATE retention_executions e SET status = 'Running', worker = $1, lease_until = now() + $2 * interval '1 second',
            start_time = coalesce(start_time, now()), updated_at = now()
      WHERE id = (SELECT x.id FROM retention_executions x
                   WHERE (x.status = 'Pending' OR (x.status = 'Running' AND x.lease_until < now()))
                     AND NOT EXISTS (SELECT 1 FROM retention_executions o
                                      WHERE o.policy_id = x.policy_id AND o.id <> x.id AND o.status = 'Running' AND o.lease_until >= now())
                   ORDER BY x.id LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING ${executionColumns}`,
    [worker, leaseSeconds],
  );
  return rows[0] && executionRow(rows[0]);
}

/** Extends the lease; whether a stop was asked (or the execution is no longer ours). */
export async function renewRetentionExecution(q: Queryer, id: number, worker: string, leaseSeconds: number): Promise<{ stop: boolean }> {
  const { rows } = await q.query<{ stop_requested: boolean }>(
    `UPDATE retention_executions SET lease_until = now() + $3 * interval '1 second', updated_at = now()
      WHERE id = $1 AND worker = $2 AND status = 'Running' RETURNING stop_requested`,
    [id, worker, leaseSeconds],
  );
  return { stop: !rows[0] || rows[0].stop_requested };
}

export async function endRetentionExecution(q: Queryer, id: number, worker: string, status: 'Success' | 'Error' | 'Stopped', error?: string): Promise<boolean> {
  const res = await q.query(
    `UPDATE retention_executions SET status = $3, error = $4, lease_until = NULL, end_time = now(), updated_at = now()
      WHERE id = $1 AND worker = $2 AND status = 'Running'`,
    [id, worker, status, error ?? null],
  );
  return res.rowCount > 0;
}

/** Gives an execution back (this server is shutting down): Pending again, for any server to resume. */
export async function releaseRetentionExecution(q: Queryer, id: number, worker: string): Promise<void> {
  await q.query(
    `UPDATE retention_executions SET status = 'Pending', worker = NULL, lease_until = NULL, updated_at = now()
      WHERE id = $1 AND worker = $2 AND status = 'Running'`,
    [id, worker],
  );
}

/** Asks an execution to stop: a Pending one stops at once, a Running one at its next repository. */
export async function stopRetentionExecution(q: Queryer, id: number): Promise<void> {
  await q.query(
    `UPDATE retention_executions SET stop_requested = true, updated_at = now(),
            status = CASE WHEN status = 'Pending' THEN 'Stopped' ELSE status END,
            end_time = CASE WHEN status = 'Pending' THEN now() ELSE end_time END
      WHERE id = $1`,
    [id],
  );
}

export async function findRetentionExecution(q: Queryer, policyId: number, id: number): Promise<RetentionExecutionRow | undefined> {
  const { rows } = await q.query<RetentionExecutionRow>(`SELECT ${executionColumns} FROM retention_executions WHERE policy_id = $1 AND id = $2`, [
    policyId,
    id,
  ]);
  return rows[0] && executionRow(rows[0]);
}

export async function listRetentionExecutions(
  q: Queryer,
  policyId: number,
  limit: number,
  offset: number,
): Promise<{ items: RetentionExecutionRow[]; total: number }> {
  const { rows } = await q.query<RetentionExecutionRow>(
    `SELECT ${executionColumns} FROM retention_executions WHERE policy_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3`,
    [policyId, limit, offset],
  );
  const { rows: n } = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM retention_executions WHERE policy_id = $1', [policyId]);
  return { items: rows.map(executionRow), total: n[0].n };
}

/**
 * A task for one repository of the execution, Running. A resumed execution starts a
 * repository afresh: what its first attempt deleted is gone and is not weighed again.
 */
export async function startRetentionTask(q: Queryer, executionId: number, repository: string): Promise<number> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO retention_tasks (execution_id, repository, status) VALUES ($1, $2, 'Running')
     ON CONFLICT ON CONSTRAINT uq_retention_tasks_repository
     DO UPDATE SET status = 'Running', total = 0, retained = 0, deleted = 0, start_time = now(), end_time = NULL,
                   log = retention_tasks.log || E'-- resumed\\n'
     RETURNING id`,
    [executionId, repository],
  );
  return Number(rows[0].id);
}

/** Repositories this execution has finished, so a resumed run skips them. */
export async function finishedRetentionRepositories(q: Queryer, executionId: number): Promise<Set<string>> {
  const { rows } = await q.query<{ repository: string }>("SELECT repository FROM retention_tasks WHERE execution_id = $1 AND status <> 'Running'", [
    executionId,
  ]);
  return new Set(rows.map((r) => r.repository));
}

export async function endRetentionTask(
  q: Queryer,
  id: number,
  t: { status: 'Success' | 'Error' | 'Stopped'; total: number; retained: number; deleted: number; log: string },
): Promise<void> {
  await q.query('UPDATE retention_tasks SET status = $2, total = $3, retained = $4, deleted = $5, log = log || $6, end_time = now() WHERE id = $1', [
    id,
    t.status,
    t.total,
    t.retained,
    t.deleted,
    t.log,
  ]);
}

export async function listRetentionTasks(
  q: Queryer,
  executionId: number,
  limit: number,
  offset: number,
): Promise<{ items: RetentionTaskRow[]; total: number }> {
  const { rows } = await q.query<RetentionTaskRow>(`SELECT ${taskColumns} FROM retention_tasks WHERE execution_id = $1 ORDER BY id LIMIT $2 OFFSET $3`, [
    executionId,
    limit,
    offset,
  ]);
  const { rows: n } = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM retention_tasks WHERE execution_id = $1', [executionId]);
  return { items: rows.map(taskRow), total: n[0].n };
}

export async function retentionTaskLog(q: Queryer, executionId: number, id: number): Promise<string | undefined> {
  const { rows } = await q.query<{ log: string }>('SELECT log FROM retention_tasks WHERE execution_id = $1 AND id = $2', [executionId, id]);
  return rows[0]?.log;
}

/** What a run weighs of one artifact: its digest, every tag on it, and when it was last pushed and pulled. */
export interface RetentionCandidate {
  digest: string;
  mediaType: string;
  tags: string[];
  pushedAt: Date;
  pulledAt: Date | null;
}

/**
 * The repository's top-level artifacts: not an index's child in the repository (a child
 * goes with its index) and not a referrer (a signature or SBOM follows its subject). Push
 * and pull times are the latest over the artifact and its tags, as Harbor counts them.
 */
export async function retentionCandidates(q: Queryer, repositoryId: number): Promise<RetentionCandidate[]> {
  const { rows } = await q.query<{ digest: string; media_type: string; tags: string[]; pushed_at: Date; pulled_at: Date | null }>(
    `SELECT m.digest, m.media_type,
            coalesce(array_agg(t.name ORDER BY t.name) FILTER (WHERE t.name IS NOT NULL), '{}') AS tags,
            greatest(m.created_at, max(t.updated_at)) AS pushed_at,
            greatest(m.pull_time, max(t.pull_time)) AS pulled_at
       FROM manifests m LEFT JOIN tags t ON t.manifest_id = m.id
      WHERE m.repository_id = $1 AND m.subject_digest IS NULL
        AND NOT EXISTS (SELECT 1 FROM manifest_children c JOIN manifests p ON p.id = c.parent_id
                         WHERE p.repository_id = m.repository_id AND c.child_digest = m.digest)
      GROUP BY m.id ORDER BY m.id`,
    [repositoryId],
  );
  return rows.map((r) => ({ digest: r.digest, mediaType: r.media_type, tags: r.tags, pushedAt: r.pushed_at, pulledAt: r.pulled_at }));
}

/** Whether an index of the repository now lists the digest as a child. */
export async function isIndexChild(q: Queryer, repositoryId: number, digest: string): Promise<boolean> {
  const { rows } = await q.query(
    `SELECT 1 FROM manifest_children c JOIN manifests p ON p.id = c.parent_id WHERE p.repository_id = $1 AND c.child_digest = $2 LIMIT 1`,
    [repositoryId, digest],
  );
  return rows.length > 0;
}

export async function projectRepositories(q: Queryer, projectName: string): Promise<Array<{ id: number; name: string }>> {
  const { rows } = await q.query<{ id: number; name: string }>("SELECT id, name FROM repositories WHERE starts_with(name, $1 || '/') ORDER BY name", [
    projectName,
  ]);
  return rows.map((r) => ({ id: Number(r.id), name: r.name }));
}
