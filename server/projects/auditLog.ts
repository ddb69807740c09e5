// The audit log as the management API serves it: Harbor-shaped pages (system
// administrators see everything, project admins their project's rows), streamed exports,
// and who may verify, purge or read the status (audit/maintenance.ts does the work).
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { DomainError } from '../lib/errors.js';
import type { Filter, Paging } from '../lib/query.js';
import { requireAdmin, requireUser, type Principal } from '../lib/principal.js';
import { auditFilterColumns, chainState, countAudit, countInTimeRange, listAudit, type AuditQuery, type AuditRow } from '../db/audit.js';
import type { Database } from '../db/database.js';
import { visibleProject } from './projects.js';
import { can } from './permissions.js';
import { purgeAuditLog, verifyAuditChain, type VerifyResult } from '../audit/maintenance.js';
import type { AuditQueue } from '../audit/context.js';
import type { AuditLogView } from '../lib/harborTypes.js';

export const auditFilterKeys = Object.keys(auditFilterColumns);
export const auditSortKeys = ['op_time', 'id'] as const;

/** A row as the API shows it: the stored row with its time in ISO form, without prev_hash. */
function view(r: AuditRow): AuditLogView {
  const { prev_hash: _, op_time, ...rest } = r;
  return { ...rest, op_time: new Date(op_time).toISOString() };
}

export interface AuditListParams {
  filters: Map<string, Filter>;
  descending: boolean;
  paging: Paging;
  /** From a Link header: continue after this id (keyset, cheap at any depth). */
  cursor?: number;
}

/** Which rows a caller may read: all (system administrators) or one project's (its admins). */
async function scope(db: Database, principal: Principal, project?: { ref: string; byName: boolean }): Promise<number | undefined> {
  if (!project) {
    requireAdmin(principal, 'only system administrators read the whole audit log');
    return undefined;
  }
  requireUser(principal);
  const { project: p, access } = await visibleProject(db, principal, project.ref, project.byName);
  if (!can(access, 'log', 'list')) throw new DomainError('DENIED', `reading the logs of ${p.name} needs the project admin role`);
  return p.project_id;
}

function validate(filters: Map<string, Filter>): void {
  const t = filters.get('op_time');
  if (t && t.kind !== 'range' && t.kind !== 'exact')
    throw new DomainError('INVALID', 'op_time filters by a range: op_time=[2025-01-01T00:00:00~2025-02-01T00:00:00]');
  for (const v of t?.kind === 'range' ? [t.min, t.max] : t?.kind === 'exact' ? [t.value] : []) {
    if (v !== undefined && !(v instanceof Date)) throw new DomainError('INVALID', 'op_time values are times like 2025-01-31T23:59:59 (UTC)');
  }
}

// Up to this many rows in an op_time range are read range-first (tens of milliseconds);
// beyond it, walking in id order finds a page sooner.
const narrowRangeRows = 200_000;

async function narrowTimeRange(db: Database, filters: Map<string, Filter>): Promise<boolean> {
  const t = filters.get('op_time');
  if (!t) return false;
  const [min, max] = t.kind === 'range' ? [t.min, t.max] : t.kind === 'exact' ? [t.value, t.value] : [undefined, undefined];
  if (!(min instanceof Date) && !(max instanceof Date)) return false;
  return (await countInTimeRange(db, min as Date | undefined, max as Date | undefined, narrowRangeRows + 1)) <= narrowRangeRows;
}

export async function listAuditLogs(
  db: Database,
  principal: Principal,
  params: AuditListParams,
  project?: { ref: string; byName: boolean },
): Promise<{ items: AuditLogView[]; total: number; lastId?: number }> {
  const projectId = await scope(db, principal, project);
  validate(params.filters);
  const query: AuditQuery = { filters: params.filters, projectId, descending: params.descending, after: params.cursor };
  let offset = params.cursor !== undefined ? 0 : params.paging.offset;
  let total: number;
  if (!params.filters.size && projectId === undefined) {
    // Unfiltered: ids are gapless from the anchor to the head, so the count and any page's
    // first id are arithmetic, and a deep page costs what the first one does.
    const state = await chainState(db);
    total = state.last_id - state.anchor_id;
    if (query.after === undefined) {
      query.after = params.descending ? state.last_id + 1 - offset : state.anchor_id + offset;
      offset = 0;
    }
  } else {
    total = await countAudit(db, { ...query, after: undefined });
    query.rangeFirst = await narrowTimeRange(db, params.filters);
  }
  const rows = await listAudit(db, query, params.paging.pageSize, offset);
  return { items: rows.map(view), total, lastId: rows.at(-1)?.id };
}

/** A filtered range as JSON Lines or CSV, oldest first, read in keyset batches as it streams. */
export async function exportAuditLogs(
  db: Database,
  principal: Principal,
  filters: Map<string, Filter>,
  format: 'jsonl' | 'csv',
  project?: { ref: string; byName: boolean },
): Promise<Readable> {
  const projectId = await scope(db, principal, project);
  validate(filters);
  async function* rows(): AsyncGenerator<AuditLogView> {
    let after = 0;
    for (;;) {
      const batch = await listAudit(db, { filters, projectId, descending: false, after }, 1000, 0);
      for (const r of batch) yield view(r);
      if (batch.length < 1000) return;
      after = batch[batch.length - 1].id;
    }
  }
  if (format === 'jsonl') {
    return Readable.from(
      (async function* () {
        for await (const r of rows()) yield `${JSON.stringify(r)}\n`;
      })(),
    );
  }
  const columns = [
    'id',
    'op_time',
    'username',
    'actor_type',
    'client_address',
    'operation',
    'resource_type',
    'resource',
    'project_id',
    'project_name',
    'is_successful',
    'count',
    'error_code',
    'user_agent',
    'request_id',
    'hash',
  ];
  return Readable.from(rows()).pipe(stringify({ header: true, columns, cast: { boolean: (b) => String(b) } }));
}

export async function purgeAuditLogFor(db: Database, principal: Principal, input: { retention_hours?: unknown; dry_run?: unknown }) {
  requireAdmin(principal, 'only system administrators purge the audit log');
  const hours = input.retention_hours;
  if (typeof hours !== 'number' || !Number.isInteger(hours) || hours < 1)
    throw new DomainError('INVALID', 'retention_hours must be a whole number of hours, at least 1');
  if (input.dry_run !== undefined && typeof input.dry_run !== 'boolean') throw new DomainError('INVALID', 'dry_run must be true or false');
  return purgeAuditLog(db, hours * 3_600_000, input.dry_run === true);
}

/**
 * The log's state: rows kept, the chain's ends, rows dropped (stored in the database once a
 * batch could be written after them), and this process's queue.
 */
export async function auditStatusFor(db: Database, principal: Principal, writer: AuditQueue | undefined) {
  requireAdmin(principal, 'only system administrators read the audit log status');
  const state = await chainState(db);
  const local = writer?.stats() ?? { pending: 0, dropped: 0, written: 0 };
  return {
    enabled: writer?.enabled ?? true,
    rows: state.last_id - state.anchor_id,
    first_id: state.anchor_id + 1,
    last_id: state.last_id,
    dropped: state.dropped,
    process: { pending: local.pending, dropped_not_yet_recorded: local.dropped, written: local.written },
  };
}

export async function verifyAuditChainFor(db: Database, principal: Principal): Promise<VerifyResult> {
  requireAdmin(principal, 'only system administrators verify the audit log');
  return verifyAuditChain(db);
}
