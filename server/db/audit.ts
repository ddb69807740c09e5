import type { AuditLogView } from '../lib/harborTypes.js';
import type { Filter } from '../lib/query.js';
import type { Queryer } from './database.js';

export type ActorType = AuditLogView['actor_type'];

/** One audit row as stored, without its chain fields. */
export interface AuditFields {
  id: number;
  opTime: Date;
  username: string;
  actorType: ActorType;
  clientAddress: string | null;
  operation: string;
  resourceType: string;
  resource: string;
  projectId: number | null;
  projectName: string | null;
  isSuccessful: boolean;
  /** How many identical events this row stands for (see audit/writer.ts). */
  count: number;
  errorCode: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export interface ChainedRow extends AuditFields {
  prevHash: string;
  hash: string;
}

/** A row as read: the API's view of it (lib/harborTypes.ts) with the time as a Date and the chain's back link. */
export interface AuditRow extends Omit<AuditLogView, 'op_time'> {
  op_time: Date;
  prev_hash: string;
}

export interface ChainState {
  last_id: number;
  last_hash: string;
  anchor_id: number;
  anchor_hash: string;
  dropped: number;
  forwarded_id: number;
}

const columns =
  'id, op_time, username, actor_type, client_address, operation, resource_type, resource, project_id, project_name, is_successful, count, error_code, user_agent, request_id, prev_hash, hash';

/**
 * Locks the chain head for the rest of the transaction (appends are serialized here) and,
 * in the same round trip, looks up the ids of the named projects.
 */
export async function lockChainHead(
  q: Queryer,
  projectNames: string[] = [],
): Promise<{ last_id: number; last_hash: string; projects: Record<string, number> }> {
  const { rows } = await q.query<{ last_id: number; last_hash: string; projects: Record<string, number> | null }>(
    `SELECT last_id, last_hash,
            (SELECT json_object_agg(name, id) FROM projects WHERE name = ANY($1::text[])) AS projects
       FROM audit_chain FOR UPDATE`,
    [projectNames],
  );
  return { ...rows[0], projects: rows[0].projects ?? {} };
}

export async function chainState(q: Queryer): Promise<ChainState> {
  const { rows } = await q.query<ChainState>('SELECT last_id, last_hash, anchor_id, anchor_hash, dropped, forwarded_id FROM audit_chain');
  return rows[0];
}

/** Appends chained rows and moves the head, in one statement; the caller holds the head lock. */
export async function appendAuditRows(q: Queryer, rows: ChainedRow[], dropped = 0): Promise<void> {
  if (!rows.length) return;
  const col = <K extends keyof ChainedRow>(k: K) => rows.map((r) => r[k]);
  const last = rows[rows.length - 1];
  await q.query(
    `WITH appended AS (
       INSERT INTO audit_log (${columns})
       SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                          $9::bigint[], $10::text[], $11::boolean[], $12::int[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[])
     )
     UPDATE audit_chain SET last_id = $18, last_hash = $19, dropped = dropped + $20`,
    [
      col('id'),
      col('opTime'),
      col('username'),
      col('actorType'),
      col('clientAddress'),
      col('operation'),
      col('resourceType'),
      col('resource'),
      col('projectId'),
      col('projectName'),
      col('isSuccessful'),
      col('count'),
      col('errorCode'),
      col('userAgent'),
      col('requestId'),
      col('prevHash'),
      col('hash'),
      last.id,
      last.hash,
      dropped,
    ],
  );
}

/** Counts rows dropped before they could be written (when a batch has no rows of its own). */
export async function addDropped(q: Queryer, dropped: number): Promise<void> {
  await q.query('UPDATE audit_chain SET dropped = dropped + $1', [dropped]);
}

// The API's filter keys and the column each reads. Nothing else reaches SQL.
export const auditFilterColumns = {
  operation: 'operation',
  resource_type: 'resource_type',
  resource: 'resource',
  username: 'username',
  op_time: 'op_time',
} as const;
export type AuditFilterKey = keyof typeof auditFilterColumns;

export interface AuditQuery {
  filters: Map<string, Filter>;
  projectId?: number;
  descending: boolean;
  /** Keyset: only rows past this id in the listing's order. */
  after?: number;
  /**
   * Read the rows of the op_time range first, then order them (a narrow range). Otherwise
   * the planner walks an id-ordered index and filters, which never stops early when the
   * range lies far back or a substring filter matches nothing.
   */
  rangeFirst?: boolean;
}

function where(query: AuditQuery, params: unknown[]): string {
  const conds: string[] = [];
  const p = (v: unknown) => {
    params.push(v instanceof Date ? v : typeof v === 'number' && !Number.isInteger(v) ? String(v) : v);
    return `$${params.length}`;
  };
  if (query.projectId !== undefined) conds.push(`project_id = ${p(query.projectId)}`);
  for (const [key, f] of query.filters) {
    const c = auditFilterColumns[key as AuditFilterKey];
    if (!c) continue;
    const value = (v: unknown) => (c === 'op_time' ? `${p(v)}::timestamptz` : p(String(v)));
    switch (f.kind) {
      case 'exact':
        conds.push(`${c} = ${value(f.value)}`);
        break;
      case 'fuzzy':
        conds.push(`strpos(${c}, ${p(f.value)}) > 0`);
        break;
      case 'range':
        if (f.min !== undefined) conds.push(`${c} >= ${value(f.min)}`);
        if (f.max !== undefined) conds.push(`${c} <= ${value(f.max)}`);
        break;
      case 'or':
        conds.push(`${c} = ANY(${p(f.values.map((v) => (v instanceof Date ? v.toISOString() : String(v))))}::${c === 'op_time' ? 'timestamptz' : 'text'}[])`);
        break;
      case 'and':
        for (const v of f.values) conds.push(`${c} = ${value(v)}`);
        break;
    }
  }
  if (query.after !== undefined) conds.push(`id ${query.descending ? '<' : '>'} ${p(query.after)}`);
  return conds.length ? `WHERE ${conds.join(' AND ')}` : '';
}

export async function listAudit(q: Queryer, query: AuditQuery, limit: number, offset: number): Promise<AuditRow[]> {
  const params: unknown[] = [];
  const w = where(query, params);
  params.push(limit, offset);
  const order = `ORDER BY id ${query.descending ? 'DESC' : 'ASC'} LIMIT $${params.length - 1} OFFSET $${params.length}`;
  const sql = query.rangeFirst
    ? `WITH r AS MATERIALIZED (SELECT ${columns} FROM audit_log ${w}) SELECT * FROM r ${order}`
    : `SELECT ${columns} FROM audit_log ${w} ${order}`;
  const { rows } = await q.query<AuditRow>(sql, params);
  return rows;
}

/** How many rows an op_time range holds, counting no further than `cap` (an index range scan). */
export async function countInTimeRange(q: Queryer, min: Date | undefined, max: Date | undefined, cap: number): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM audit_log
      WHERE ($1::timestamptz IS NULL OR op_time >= $1) AND ($2::timestamptz IS NULL OR op_time <= $2) LIMIT $3) s`,
    [min ?? null, max ?? null, cap],
  );
  return rows[0].n;
}

export async function countAudit(q: Queryer, query: AuditQuery): Promise<number> {
  const params: unknown[] = [];
  const { rows } = await q.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM audit_log ${where(query, params)}`, params);
  return rows[0].n;
}

/** Rows in chain order after an id, for verification, export and forwarding. */
export async function auditRowsAfter(q: Queryer, afterId: number, limit: number): Promise<AuditRow[]> {
  const { rows } = await q.query<AuditRow>(`SELECT ${columns} FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2`, [afterId, limit]);
  return rows;
}

/**
 * The chain prefix a purge would remove: rows before the first one at or after the cutoff
 * (a prefix, so the chain still verifies from the anchor). Returns its last id and hash.
 */
export async function purgeablePrefix(q: Queryer, cutoff: Date): Promise<{ rows: number; lastId: number; lastHash: string } | undefined> {
  const { rows } = await q.query<{ n: number; last_id: number | null }>(
    `SELECT count(*)::bigint AS n, max(id) AS last_id FROM audit_log
      WHERE id < COALESCE((SELECT min(id) FROM audit_log WHERE op_time >= $1), (SELECT last_id + 1 FROM audit_chain))`,
    [cutoff],
  );
  if (!rows[0].n || rows[0].last_id === null) return undefined;
  const last = await q.query<{ hash: string }>('SELECT hash FROM audit_log WHERE id = $1', [rows[0].last_id]);
  return { rows: rows[0].n, lastId: rows[0].last_id, lastHash: last.rows[0].hash };
}

export async function removeAuditPrefix(q: Queryer, lastId: number, lastHash: string): Promise<number> {
  const res = await q.query('DELETE FROM audit_log WHERE id <= $1', [lastId]);
  await q.query('UPDATE audit_chain SET anchor_id = $1, anchor_hash = $2', [lastId, lastHash]);
  return res.rowCount;
}

export async function setForwarded(q: Queryer, id: number): Promise<void> {
  await q.query('UPDATE audit_chain SET forwarded_id = $1', [id]);
}
