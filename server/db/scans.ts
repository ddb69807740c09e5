import type { Queryer } from './database.js';

export type ScanStatus = 'Pending' | 'Running' | 'Success' | 'Error' | 'Stopped';
export type ScanTrigger = 'MANUAL' | 'EVENT' | 'SCHEDULE';

export interface ScanTaskRow {
  id: number;
  manifest_id: number;
  scanner_id: number;
  trigger: ScanTrigger;
  status: ScanStatus;
  attempts: number;
  request_id: string | null;
  created_at: Date;
  started_at: Date | null;
}

/** A task with what a step needs: the artifact, its repository and project, and the scanner's id. */
export interface ScanTaskContext extends ScanTaskRow {
  digest: string;
  media_type: string;
  repository: string;
  project_id: number | null;
  tag: string | null;
}

const taskColumns = 't.id, t.manifest_id, t.scanner_id, t.trigger, t.status, t.attempts, t.request_id, t.created_at, t.started_at';

/**
 * Queues a scan of each artifact by the scanner unless one is already in progress (that
 * one is joined); each new task marks its artifact's summary as Pending, the last result
 * staying in force. Returns the new tasks' ids.
 */
export async function queueScans(
  q: Queryer,
  manifestIds: number[],
  scannerId: number,
  trigger: ScanTrigger,
  scanAllId: number | null = null,
): Promise<number[]> {
  if (!manifestIds.length) return [];
  const { rows } = await q.query<{ id: number; manifest_id: number }>(
    `INSERT INTO scan_tasks (manifest_id, scanner_id, trigger, scan_all_id)
     SELECT m, $2, $3, $4 FROM unnest($1::bigint[]) AS m
     ON CONFLICT (manifest_id, scanner_id) WHERE status IN ('Pending', 'Running') DO NOTHING
     RETURNING id, manifest_id`,
    [manifestIds, scannerId, trigger, scanAllId],
  );
  if (rows.length) {
    await q.query(
      `INSERT INTO vulnerability_summaries (manifest_id, task_id, status)
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[])
       ON CONFLICT ON CONSTRAINT pk_vulnerability_summaries DO UPDATE
         SET task_id = EXCLUDED.task_id, status = 'Pending', start_time = NULL, end_time = NULL`,
      [rows.map((r) => r.manifest_id), rows.map((r) => r.id), rows.map(() => 'Pending')],
    );
  }
  return rows.map((r) => r.id);
}

/** Takes up to `limit` due tasks under a lease (skipping rows another server holds). */
export async function claimScanTasks(q: Queryer, owner: string, leaseSeconds: number, limit: number): Promise<ScanTaskContext[]> {
  const { rows } = await q.query<ScanTaskContext>(
    `WITH due AS (
       SELECT id FROM scan_tasks
        WHERE status IN ('Pending', 'Running') AND due_at <= now() AND (lease_until IS NULL OR lease_until < now())
        ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED),
     taken AS (
       UPDATE scan_tasks t SET lease_owner = $1, lease_until = now() + make_interval(secs => $2), status = 'Running',
              started_at = coalesce(t.started_at, now())
         FROM due WHERE t.id = due.id RETURNING t.*)
     SELECT ${taskColumns}, m.digest, m.media_type, r.name AS repository, p.id AS project_id,
            (SELECT name FROM tags WHERE manifest_id = m.id ORDER BY name LIMIT 1) AS tag
       FROM taken t JOIN manifests m ON m.id = t.manifest_id JOIN repositories r ON r.id = m.repository_id
       LEFT JOIN projects p ON p.name = split_part(r.name, '/', 1)`,
    [owner, leaseSeconds, limit],
  );
  if (rows.length) {
    await q.query(
      `UPDATE vulnerability_summaries s SET status = 'Running', start_time = coalesce(s.start_time, now())
        WHERE s.task_id = ANY($1::bigint[]) AND s.status = 'Pending'`,
      [rows.map((r) => r.id)],
    );
  }
  return rows;
}

/** Gives a task back with its next step's time; false when it is no longer this owner's (stopped, or the lease was lost). */
export async function rescheduleScanTask(
  q: Queryer,
  id: number,
  owner: string,
  next: { inMs: number; requestId?: string | null; attempts?: number; error?: string | null },
): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE scan_tasks SET due_at = now() + make_interval(secs => $3), lease_owner = NULL, lease_until = NULL,
            request_id = CASE WHEN $4::boolean THEN $5 ELSE request_id END, attempts = coalesce($6, attempts), error = coalesce($7, error)
      WHERE id = $1 AND lease_owner = $2 AND status = 'Running'`,
    [id, owner, next.inMs / 1000, next.requestId !== undefined, next.requestId ?? null, next.attempts ?? null, next.error ?? null],
  );
  return rowCount === 1;
}

/** Ends a task this owner holds; its credential is void from here. False when it was not held (stopped meanwhile). */
export async function endScanTask(q: Queryer, id: number, owner: string, status: 'Success' | 'Error', error: string | null): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE scan_tasks SET status = $3, error = $4, ended_at = now(), lease_owner = NULL, lease_until = NULL, credential_hash = NULL
      WHERE id = $1 AND lease_owner = $2 AND status = 'Running'`,
    [id, owner, status, error],
  );
  if (rowCount !== 1) return false;
  await q.query(`UPDATE vulnerability_summaries SET status = $2, end_time = now() WHERE task_id = $1`, [id, status]);
  return true;
}

/** Stops the artifact's scans in progress; their credentials are void. Returns how many. */
export async function stopScans(q: Queryer, manifestId: number): Promise<number> {
  const { rows } = await q.query<{ id: number }>(
    `UPDATE scan_tasks SET status = 'Stopped', ended_at = now(), lease_owner = NULL, lease_until = NULL, credential_hash = NULL
      WHERE manifest_id = $1 AND status IN ('Pending', 'Running') RETURNING id`,
    [manifestId],
  );
  if (rows.length)
    await q.query(`UPDATE vulnerability_summaries SET status = 'Stopped', end_time = now() WHERE task_id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
  return rows.length;
}

export async function setScanCredential(q: Queryer, id: number, hash: string, expiresAt: Date): Promise<void> {
  await q.query('UPDATE scan_tasks SET credential_hash = $2, credential_expires_at = $3 WHERE id = $1', [id, hash, expiresAt]);
}

/** A live scan credential: the task still in progress and the credential not expired. */
export async function findScanCredential(q: Queryer, taskId: number): Promise<{ hash: string; repository: string } | undefined> {
  const { rows } = await q.query<{ hash: string; repository: string }>(
    `SELECT t.credential_hash AS hash, r.name AS repository
       FROM scan_tasks t JOIN manifests m ON m.id = t.manifest_id JOIN repositories r ON r.id = m.repository_id
      WHERE t.id = $1 AND t.status = 'Running' AND t.credential_hash IS NOT NULL AND t.credential_expires_at > now()`,
    [taskId],
  );
  return rows[0];
}

export interface ScanResult {
  taskId: number;
  manifestId: number;
  scannerId: number;
  report: unknown;
  severity: string;
  total: number;
  fixable: number;
  counts: Record<string, number>;
  cves: Array<[string, string]>;
  scanner: { name: string; vendor: string; version: string };
}

/** Stores the report and the artifact's summary (the caller ends the task in the same transaction). */
export async function saveScanResult(q: Queryer, r: ScanResult): Promise<void> {
  await q.query(
    `INSERT INTO vulnerability_reports (manifest_id, scanner_id, task_id, report) VALUES ($1, $2, $3, $4)
     ON CONFLICT ON CONSTRAINT pk_vulnerability_reports DO UPDATE SET task_id = EXCLUDED.task_id, report = EXCLUDED.report, created_at = now()`,
    [r.manifestId, r.scannerId, r.taskId, JSON.stringify(r.report)],
  );
  await q.query(
    `UPDATE vulnerability_summaries SET scanned_at = now(), result_task_id = $2, severity = $3, total = $4, fixable = $5, counts = $6, cves = $7, scanner = $8
      WHERE manifest_id = $1`,
    [r.manifestId, r.taskId, r.severity, r.total, r.fixable, JSON.stringify(r.counts), JSON.stringify(r.cves), JSON.stringify(r.scanner)],
  );
}

export interface SummaryRow {
  manifest_id: number;
  task_id: number;
  status: ScanStatus;
  start_time: Date | null;
  end_time: Date | null;
  scanned_at: Date | null;
  result_task_id: number | null;
  severity: string | null;
  total: number;
  fixable: number;
  counts: Record<string, number>;
  cves: Array<[string, string]>;
  scanner: { name?: string; vendor?: string; version?: string };
}

const summaryColumns = 'manifest_id, task_id, status, start_time, end_time, scanned_at, result_task_id, severity, total, fixable, counts, cves, scanner';

export async function findSummaries(q: Queryer, manifestIds: number[]): Promise<Map<number, SummaryRow>> {
  if (!manifestIds.length) return new Map();
  const { rows } = await q.query<SummaryRow>(`SELECT ${summaryColumns} FROM vulnerability_summaries WHERE manifest_id = ANY($1::bigint[])`, [manifestIds]);
  return new Map(rows.map((r) => [r.manifest_id, r]));
}

/** The report behind the artifact's summary: the latest that succeeded. */
export async function findReport(q: Queryer, manifestId: number): Promise<unknown | undefined> {
  const { rows } = await q.query<{ report: unknown }>(
    `SELECT r.report FROM vulnerability_summaries s JOIN vulnerability_reports r ON r.manifest_id = s.manifest_id AND r.task_id = s.result_task_id
      WHERE s.manifest_id = $1`,
    [manifestId],
  );
  return rows[0]?.report;
}

/** Image manifests (by media type) after `afterId`, for "scan all" to weigh in batches. */
export async function imageManifestsAfter(
  q: Queryer,
  afterId: number,
  limit: number,
  mediaTypes: readonly string[],
): Promise<Array<{ id: number; media_type: string; payload: Buffer; project_id: number | null }>> {
  const { rows } = await q.query<{ id: number; media_type: string; payload: Buffer; project_id: number | null }>(
    `SELECT m.id, m.media_type, m.payload, p.id AS project_id FROM manifests m JOIN repositories r ON r.id = m.repository_id
       LEFT JOIN projects p ON p.name = split_part(r.name, '/', 1)
      WHERE m.id > $1 AND m.media_type = ANY($3::text[]) AND m.subject_digest IS NULL ORDER BY m.id LIMIT $2`,
    [afterId, limit, mediaTypes],
  );
  return rows;
}

export async function createScanAllRun(q: Queryer, trigger: 'MANUAL' | 'SCHEDULE', scheduledFor: Date | null): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO scan_all_runs (trigger, scheduled_for) VALUES ($1, $2) ON CONFLICT ON CONSTRAINT uq_scan_all_runs_tick DO NOTHING RETURNING id`,
    [trigger, scheduledFor],
  );
  return rows[0]?.id;
}

/** The latest "scan all" run and its tasks by status. */
export async function scanAllMetrics(
  q: Queryer,
  trigger?: 'MANUAL' | 'SCHEDULE',
): Promise<{ id: number; trigger: string; created_at: Date; byStatus: Record<string, number> } | undefined> {
  const { rows } = await q.query<{ id: number; trigger: string; created_at: Date }>(
    `SELECT id, trigger, created_at FROM scan_all_runs WHERE $1::text IS NULL OR trigger = $1 ORDER BY id DESC LIMIT 1`,
    [trigger ?? null],
  );
  if (!rows[0]) return undefined;
  const { rows: counts } = await q.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM scan_tasks WHERE scan_all_id = $1 GROUP BY status',
    [rows[0].id],
  );
  return { ...rows[0], byStatus: Object.fromEntries(counts.map((c) => [c.status, c.n])) };
}

export interface ScanAllScheduleRow {
  type: 'None' | 'Hourly' | 'Daily' | 'Weekly' | 'Custom';
  cron: string;
  created_at: Date;
  updated_at: Date;
}

export async function findScanAllSchedule(q: Queryer): Promise<ScanAllScheduleRow> {
  const { rows } = await q.query<ScanAllScheduleRow>('SELECT type, cron, created_at, updated_at FROM scan_all_schedule', []);
  return rows[0];
}

export async function saveScanAllSchedule(q: Queryer, type: ScanAllScheduleRow['type'], cron: string): Promise<void> {
  await q.query('UPDATE scan_all_schedule SET type = $1, cron = $2, updated_at = now()', [type, cron]);
}

/** The image manifests an index lists, in its repository. */
export async function childManifests(q: Queryer, parentId: number): Promise<Array<{ id: number; media_type: string; payload: Buffer }>> {
  const { rows } = await q.query<{ id: number; media_type: string; payload: Buffer }>(
    `SELECT c.id, c.media_type, c.payload FROM manifests p JOIN manifest_children mc ON mc.parent_id = p.id
       JOIN manifests c ON c.repository_id = p.repository_id AND c.digest = mc.child_digest WHERE p.id = $1`,
    [parentId],
  );
  return rows;
}

/** Takes one "scan all" run whose tasks are not queued yet. */
export async function claimUnqueuedScanAll(q: Queryer): Promise<{ id: number; trigger: 'MANUAL' | 'SCHEDULE' } | undefined> {
  const { rows } = await q.query<{ id: number; trigger: 'MANUAL' | 'SCHEDULE' }>(
    `UPDATE scan_all_runs SET queued = true WHERE id = (SELECT id FROM scan_all_runs WHERE NOT queued ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING id, trigger`,
    [],
  );
  return rows[0];
}
