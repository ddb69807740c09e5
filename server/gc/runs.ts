// Garbage collection as Harbor's API shows it (/api/v2.0/system/gc…): the run history, a
// run's log, starting and stopping runs, and the one schedule. System administrators only.
// The runs themselves are made by gc/runner.ts.
import { Cron } from 'croner';
import { recordAudit } from '../audit/record.js';
import type { Database } from '../db/database.js';
import {
  createGcExecution,
  findGcExecution,
  findGcSchedule,
  gcExecutionLog,
  listGcExecutions,
  saveGcSchedule,
  stopGcExecution,
  type GcExecutionRow,
  type GcParameters,
  type GcScheduleRow,
  type GcScheduleType,
} from '../db/gcExecutions.js';
import { DomainError } from '../lib/errors.js';
import type { GcHistoryView, GcScheduleView } from '../lib/harborTypes.js';
import { requireAdmin, type Principal } from '../lib/principal.js';
import type { Paging } from '../lib/query.js';

const admins = 'only system administrators manage garbage collection';

/** Harbor's fixed schedules, as six-field crons (seconds first). */
export const scheduleCrons: Record<Exclude<GcScheduleType, 'None' | 'Custom'>, string> = {
  Hourly: '0 0 * * * *',
  Daily: '0 0 0 * * *',
  Weekly: '0 0 0 * * 0',
};

export function nextGcRun(s: Pick<GcScheduleRow, 'type' | 'cron'>, from = new Date()): Date | null {
  if (s.type === 'None') return null;
  return nextCronRun(s.cron, from);
}

function parameters(p: GcParameters): string {
  return JSON.stringify({ delete_untagged: p.delete_untagged, dry_run: p.dry_run, workers: p.workers });
}

function historyView(r: GcExecutionRow, schedule: GcScheduleRow): GcHistoryView {
  return {
    id: r.id,
    job_name: 'GC',
    job_kind: r.kind,
    job_parameters: parameters(r),
    schedule: r.kind === 'MANUAL' ? { type: 'Manual', cron: '' } : { type: schedule.type === 'None' ? 'Custom' : schedule.type, cron: schedule.cron },
    job_status: r.status,
    deleted: false,
    creation_time: r.created_at.toISOString(),
    update_time: r.updated_at.toISOString(),
    start_time: r.started_at?.toISOString() ?? null,
    end_time: r.ended_at?.toISOString() ?? null,
    dry_run: r.dry_run,
    manifests_deleted: r.manifests,
    links_deleted: r.links,
    blobs_deleted: r.blobs,
    freed_bytes: r.freed_bytes,
    postponed: r.postponed,
    error: r.error,
  };
}

function scheduleView(s: GcScheduleRow): GcScheduleView {
  return {
    schedule: { type: s.type, cron: s.cron, next_scheduled_time: nextGcRun(s)?.toISOString() ?? null },
    parameters: { delete_untagged: s.delete_untagged, dry_run: s.dry_run, workers: s.workers },
    creation_time: s.created_at.toISOString(),
    update_time: s.updated_at.toISOString(),
  };
}

function idOf(v: string): number {
  if (!/^\d{1,15}$/.test(v)) throw new DomainError('INVALID', 'a GC id is a positive integer');
  return Number(v);
}

async function stored(db: Database, id: string): Promise<GcExecutionRow> {
  const row = await findGcExecution(db, idOf(id));
  if (!row) throw new DomainError('NOT_FOUND', `GC run ${id} not found`);
  return row;
}

export async function listGcHistory(db: Database, principal: Principal, paging: Paging, descending = true) {
  requireAdmin(principal, admins);
  const [{ items, total }, schedule] = await Promise.all([listGcExecutions(db, paging.pageSize, paging.offset, descending), findGcSchedule(db)]);
  return { items: items.map((r) => historyView(r, schedule)), total };
}

export async function getGcRun(db: Database, principal: Principal, id: string): Promise<GcHistoryView> {
  requireAdmin(principal, admins);
  return historyView(await stored(db, id), await findGcSchedule(db));
}

export async function getGcLog(db: Database, principal: Principal, id: string): Promise<string> {
  requireAdmin(principal, admins);
  const log = await gcExecutionLog(db, idOf(id));
  if (log === undefined) throw new DomainError('NOT_FOUND', `GC run ${id} not found`);
  return log;
}

/** PUT /system/gc/{id}: Harbor's stop. A finished run cannot be stopped. */
export async function stopGcRun(db: Database, principal: Principal, id: string): Promise<void> {
  requireAdmin(principal, admins);
  const row = await stored(db, id);
  if (row.status !== 'Pending' && row.status !== 'Running') throw new DomainError('PRECONDITION_FAILED', `GC run ${id} has ended (${row.status})`);
  await db.tx(async (q) => {
    await stopGcExecution(q, row.id);
    await recordAudit(q, { operation: 'update', resourceType: 'gc_execution', resource: `run ${row.id}: stop` });
  });
}

export async function getGcSchedule(db: Database, principal: Principal): Promise<GcScheduleView> {
  requireAdmin(principal, admins);
  return scheduleView(await findGcSchedule(db));
}

export interface GcScheduleInput {
  schedule?: { type?: unknown; cron?: unknown };
  parameters?: { delete_untagged?: unknown; dry_run?: unknown; workers?: unknown };
}

function parseParameters(input: GcScheduleInput['parameters']): GcParameters {
  const p = input ?? {};
  for (const k of ['delete_untagged', 'dry_run'] as const) {
    if (p[k] !== undefined && typeof p[k] !== 'boolean') throw new DomainError('INVALID', `parameters.${k} must be true or false`);
  }
  const workers = p.workers ?? 1;
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 1 || workers > 5) {
    throw new DomainError('INVALID', 'parameters.workers must be an integer from 1 to 5');
  }
  return { delete_untagged: p.delete_untagged === true, dry_run: p.dry_run === true, workers };
}

/** A Harbor cron (six fields, seconds first; five are read as minutes first) that fires, or INVALID naming `what`. Retention's schedules use it too. */
export function parseCron(value: unknown, what: string): string {
  const cron = typeof value === 'string' ? value.trim() : '';
  if (!/^\S+( \S+){4,5}$/.test(cron)) throw new DomainError('INVALID', `${what} must be a cron expression of 5 or 6 fields, e.g. "0 0 3 * * *"`);
  try {
    if (!new Cron(cron, { paused: true }).nextRun()) throw new Error('it never fires');
  } catch (err) {
    throw new DomainError('INVALID', `${what} ${JSON.stringify(cron.slice(0, 100))} is not a valid cron expression: ${(err as Error).message}`);
  }
  return cron;
}

/** When a cron fires next after `from`. */
export function nextCronRun(cron: string, from = new Date()): Date | null {
  return new Cron(cron, { paused: true }).nextRun(from);
}

export function parseSchedule(input: GcScheduleInput['schedule']): { type: GcScheduleType | 'Manual'; cron: string } {
  const type = input?.type;
  if (type === 'Manual' || type === 'None') return { type, cron: '' };
  if (type === 'Hourly' || type === 'Daily' || type === 'Weekly') return { type, cron: scheduleCrons[type] };
  if (type === 'Custom' || type === 'Schedule') return { type: 'Custom', cron: parseCron(input?.cron, 'schedule.cron') };
  throw new DomainError('INVALID', 'schedule.type must be one of Manual, None, Hourly, Daily, Weekly, Custom');
}

/**
 * POST /system/gc/schedule: type Manual starts a run now (its id returned, for Location);
 * any other type sets the schedule, as PUT does.
 */
export async function createGcSchedule(db: Database, principal: Principal, input: GcScheduleInput): Promise<number | undefined> {
  requireAdmin(principal, admins);
  const schedule = parseSchedule(input?.schedule);
  const params = parseParameters(input?.parameters);
  if (schedule.type !== 'Manual') return void (await setSchedule(db, { ...schedule, type: schedule.type }, params));
  return db.tx(async (q) => {
    const id = (await createGcExecution(q, 'MANUAL', params))!;
    await recordAudit(q, { operation: 'create', resourceType: 'gc_execution', resource: `run ${id} ${parameters(params)}` });
    return id;
  });
}

/** PUT /system/gc/schedule. */
export async function updateGcSchedule(db: Database, principal: Principal, input: GcScheduleInput): Promise<void> {
  requireAdmin(principal, admins);
  const schedule = parseSchedule(input?.schedule);
  if (schedule.type === 'Manual') throw new DomainError('INVALID', 'a schedule cannot be Manual; POST a Manual schedule to run now');
  await setSchedule(db, { ...schedule, type: schedule.type }, parseParameters(input?.parameters));
}

async function setSchedule(db: Database, s: { type: GcScheduleType; cron: string }, p: GcParameters): Promise<void> {
  await db.tx(async (q) => {
    await saveGcSchedule(q, { ...s, ...p });
    await recordAudit(q, { operation: 'update', resourceType: 'gc_schedule', resource: `${s.type}${s.cron ? ` ${s.cron}` : ''} ${parameters(p)}` });
  });
}
