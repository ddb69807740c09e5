// SQL of garbage collection runs and the schedule (migration 0015).
import type { Queryer } from './database.js';

export type GcStatus = 'Pending' | 'Running' | 'Success' | 'Error' | 'Stopped';
export type GcKind = 'MANUAL' | 'SCHEDULE';
export type GcScheduleType = 'None' | 'Hourly' | 'Daily' | 'Weekly' | 'Custom';

export interface GcParameters {
  dry_run: boolean;
  delete_untagged: boolean;
  workers: number;
}

export interface GcExecutionRow extends GcParameters {
  id: number;
  kind: GcKind;
  status: GcStatus;
  scheduled_for: Date | null;
  manifests: number;
  links: number;
  blobs: number;
  freed_bytes: number;
  postponed: number;
  error: string | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
}

export interface GcScheduleRow extends GcParameters {
  type: GcScheduleType;
  cron: string;
  created_at: Date;
  updated_at: Date;
}

const columns = `id, kind, status, dry_run, delete_untagged, workers, scheduled_for, manifests, links, blobs, freed_bytes::float8 AS freed_bytes,
  postponed, error, created_at, updated_at, started_at, ended_at`;

const fromRow = (r: GcExecutionRow): GcExecutionRow => ({ ...r, id: Number(r.id) });

/** A new run, Pending; undefined when this schedule tick already has one. */
export async function createGcExecution(q: Queryer, kind: GcKind, p: GcParameters, scheduledFor?: Date): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO gc_executions (kind, dry_run, delete_untagged, workers, scheduled_for) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT ON CONSTRAINT uq_gc_executions_tick DO NOTHING RETURNING id`,
    [kind, p.dry_run, p.delete_untagged, p.workers, scheduledFor ?? null],
  );
  return rows[0] ? Number(rows[0].id) : undefined;
}

// Held by the transaction that claims a run, so two servers never both find none running.
const claimLock = 0x6263_0001;

/**
 * Takes the oldest run that is Pending, or Running under a lease that ran out (its server
 * died), for this worker under a new lease. One at a time across all servers: a run
 * already uses `workers` collectors, and two runs would only contend for the same rows.
 * Call it in a transaction.
 */
export async function claimGcExecution(q: Queryer, worker: string, leaseSeconds: number): Promise<GcExecutionRow | undefined> {
  await q.query('SELECT pg_advisory_xact_lock($1)', [claimLock]);
  const { rows } = await q.query<GcExecutionRow>(
    `UPDATE gc_executions SET status = 'Running', worker = $1, lease_until = now() + $2 * interval '1 second',
            started_at = coalesce(started_at, now()), updated_at = now()
      WHERE id = (SELECT id FROM gc_executions
                   WHERE status = 'Pending' OR (status = 'Running' AND lease_until < now())
                   ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
        AND NOT EXISTS (SELECT 1 FROM gc_executions o WHERE o.status = 'Running' AND o.lease_until >= now() AND o.worker <> $1)
      RETURNING ${columns}`,
    [worker, leaseSeconds],
  );
  return rows[0] && fromRow(rows[0]);
}

export interface GcProgress {
  manifests: number;
  links: number;
  blobs: number;
  freedBytes: number;
  postponed: number;
}

/** Extends the lease with the counts so far and appends to the log; whether a stop was asked (or the run is no longer ours). */
export async function renewGcExecution(q: Queryer, id: number, worker: string, leaseSeconds: number, p: GcProgress, log: string): Promise<{ stop: boolean }> {
  const { rows } = await q.query<{ stop_requested: boolean }>(
    `UPDATE gc_executions SET lease_until = now() + $3 * interval '1 second', manifests = $4, links = $5, blobs = $6, freed_bytes = $7,
            postponed = $8, log = log || $9, updated_at = now()
      WHERE id = $1 AND worker = $2 AND status = 'Running' RETURNING stop_requested`,
    [id, worker, leaseSeconds, p.manifests, p.links, p.blobs, p.freedBytes, p.postponed, log],
  );
  return { stop: !rows[0] || rows[0].stop_requested };
}

export async function endGcExecution(
  q: Queryer,
  id: number,
  worker: string,
  status: Exclude<GcStatus, 'Pending' | 'Running'>,
  p: GcProgress,
  log: string,
  error?: string,
): Promise<boolean> {
  const res = await q.query(
    `UPDATE gc_executions SET status = $3, manifests = $4, links = $5, blobs = $6, freed_bytes = $7, postponed = $8, log = log || $9,
            error = $10, lease_until = NULL, ended_at = now(), updated_at = now()
      WHERE id = $1 AND worker = $2 AND status = 'Running'`,
    [id, worker, status, p.manifests, p.links, p.blobs, p.freedBytes, p.postponed, log, error ?? null],
  );
  return res.rowCount > 0;
}

/** Gives a run back (this server is shutting down): Pending again, for any server to resume. */
export async function releaseGcExecution(q: Queryer, id: number, worker: string, p: GcProgress, log: string): Promise<void> {
  await q.query(
    `UPDATE gc_executions SET status = 'Pending', worker = NULL, lease_until = NULL, manifests = $3, links = $4, blobs = $5, freed_bytes = $6,
            postponed = $7, log = log || $8, updated_at = now()
      WHERE id = $1 AND worker = $2 AND status = 'Running'`,
    [id, worker, p.manifests, p.links, p.blobs, p.freedBytes, p.postponed, log],
  );
}

/** Asks a run to stop: a Pending one stops at once, a Running one at its next lease renewal. */
export async function stopGcExecution(q: Queryer, id: number): Promise<GcStatus | undefined> {
  const { rows } = await q.query<{ status: GcStatus }>(
    `UPDATE gc_executions SET stop_requested = true, updated_at = now(),
            status = CASE WHEN status = 'Pending' THEN 'Stopped' ELSE status END,
            ended_at = CASE WHEN status = 'Pending' THEN now() ELSE ended_at END
      WHERE id = $1 RETURNING status`,
    [id],
  );
  return rows[0]?.status;
}

export async function findGcExecution(q: Queryer, id: number): Promise<GcExecutionRow | undefined> {
  const { rows } = await q.query<GcExecutionRow>(`SELECT ${columns} FROM gc_executions WHERE id = $1`, [id]);
  return rows[0] && fromRow(rows[0]);
}

export async function gcExecutionLog(q: Queryer, id: number): Promise<string | undefined> {
  const { rows } = await q.query<{ log: string }>('SELECT log FROM gc_executions WHERE id = $1', [id]);
  return rows[0]?.log;
}

export async function listGcExecutions(q: Queryer, limit: number, offset: number, descending: boolean): Promise<{ items: GcExecutionRow[]; total: number }> {
  const { rows } = await q.query<GcExecutionRow & { total: number }>(
    `SELECT ${columns}, count(*) OVER ()::int AS total FROM gc_executions ORDER BY id ${descending ? 'DESC' : 'ASC'} LIMIT $1 OFFSET $2`,
    [limit, offset],
  );
  if (rows.length) return { items: rows.map(fromRow), total: rows[0].total };
  const { rows: count } = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM gc_executions', []);
  return { items: [], total: count[0].n };
}

export async function findGcSchedule(q: Queryer): Promise<GcScheduleRow> {
  const { rows } = await q.query<GcScheduleRow>('SELECT type, cron, dry_run, delete_untagged, workers, created_at, updated_at FROM gc_schedule', []);
  return rows[0];
}

export async function saveGcSchedule(q: Queryer, s: Pick<GcScheduleRow, 'type' | 'cron'> & GcParameters): Promise<void> {
  await q.query('UPDATE gc_schedule SET type = $1, cron = $2, dry_run = $3, delete_untagged = $4, workers = $5, updated_at = now()', [
    s.type,
    s.cron,
    s.dry_run,
    s.delete_untagged,
    s.workers,
  ]);
}

/** Totals over every run that deleted something (dry runs delete nothing), for /metrics. */
export async function gcTotals(q: Queryer): Promise<{ manifests: number; links: number; blobs: number; freedBytes: number; runs: Record<GcStatus, number> }> {
  const { rows } = await q.query<{ manifests: number; links: number; blobs: number; freed: number }>(
    `SELECT coalesce(sum(manifests), 0)::float8 AS manifests, coalesce(sum(links), 0)::float8 AS links, coalesce(sum(blobs), 0)::float8 AS blobs,
            coalesce(sum(freed_bytes), 0)::float8 AS freed FROM gc_executions WHERE NOT dry_run`,
    [],
  );
  const { rows: runs } = await q.query<{ status: GcStatus; n: number }>('SELECT status, count(*)::int AS n FROM gc_executions GROUP BY status', []);
  const byStatus = { Pending: 0, Running: 0, Success: 0, Error: 0, Stopped: 0 } as Record<GcStatus, number>;
  for (const r of runs) byStatus[r.status] = r.n;
  return { manifests: rows[0].manifests, links: rows[0].links, blobs: rows[0].blobs, freedBytes: rows[0].freed, runs: byStatus };
}
