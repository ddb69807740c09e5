// Scans as the management API shows them: asking for one (POST …/artifacts/{ref}/scan) and
// stopping it, the report (…/additions/vulnerabilities), the overview on artifact lists,
// "scan all" with its schedule and metrics, and the scan a push queues in its own
// transaction when the project scans on push. The scans themselves run in runner.ts.
import { recordAudit } from '../audit/record.js';
import type { Database, Queryer } from '../db/database.js';
import { scannerOfProject } from '../db/scanners.js';
import {
  childManifests,
  createScanAllRun,
  findReport,
  findScanAllSchedule,
  queueScans,
  saveScanAllSchedule,
  scanAllMetrics,
  stopScans,
  type ScanAllScheduleRow,
} from '../db/scans.js';
import { nextCronRun, parseSchedule, type GcScheduleInput } from '../gc/runs.js';
import { DomainError } from '../lib/errors.js';
import { requireAdmin, type Principal } from '../lib/principal.js';
import { artifactFor } from '../projects/repositories.js';
import { manifestKinds } from '../registry/mediaTypes.js';
import { adapterMime } from './adapterClient.js';
import { isScannable } from './scannable.js';

export interface ArtifactPlace {
  project: string;
  repository: string;
  reference: string;
}

/** The manifests a scan of this artifact covers: itself if it is an image, an index's images. */
async function scanTargets(q: Queryer, row: { id: number; media_type: string; payload: Buffer }): Promise<number[]> {
  if (manifestKinds[row.media_type] === 'index') return (await childManifests(q, row.id)).filter((c) => isScannable(c.media_type, c.payload)).map((c) => c.id);
  return isScannable(row.media_type, row.payload) ? [row.id] : [];
}

/** POST …/artifacts/{ref}/scan: queues a scan by the project's scanner (joins one in progress). */
export async function scanArtifact(db: Database, principal: Principal, place: ArtifactPlace): Promise<void> {
  const { project, repo, row } = await artifactFor(db, principal, place, 'scan', 'create');
  const scanner = await scannerOfProject(db, project.project_id);
  if (!scanner) throw new DomainError('PRECONDITION_FAILED', 'no scanner is registered: a system administrator adds one under Interrogation Services');
  if (scanner.disabled) throw new DomainError('PRECONDITION_FAILED', `scanner ${scanner.name} is disabled`);
  const targets = await scanTargets(db, row);
  if (!targets.length) throw new DomainError('UNSUPPORTED', `artifact ${row.digest} is not a container image (or an index of images), so it cannot be scanned`);
  await db.tx(async (q) => {
    await queueScans(q, targets, scanner.id, 'MANUAL');
    await recordAudit(q, {
      operation: 'scan',
      resourceType: 'artifact',
      resource: `${repo.name}@${row.digest} by ${scanner.name}`,
      projectName: project.name,
      projectId: project.project_id,
    });
  });
}

/** POST …/artifacts/{ref}/scan/stop. */
export async function stopArtifactScan(db: Database, principal: Principal, place: ArtifactPlace): Promise<void> {
  const { project, repo, row } = await artifactFor(db, principal, place, 'scan', 'stop');
  const ids = [row.id, ...(await scanTargets(db, row))];
  await db.tx(async (q) => {
    let stopped = 0;
    for (const id of new Set(ids)) stopped += await stopScans(q, id);
    if (!stopped) throw new DomainError('PRECONDITION_FAILED', `no scan of ${row.digest} is in progress`);
    await recordAudit(q, {
      operation: 'update',
      resourceType: 'artifact',
      resource: `${repo.name}@${row.digest} scan stopped`,
      projectName: project.name,
      projectId: project.project_id,
    });
  });
}

/** GET …/artifacts/{ref}/additions/vulnerabilities: the latest report, under its MIME type ({} before any scan succeeded). */
export async function artifactVulnerabilities(db: Database, principal: Principal, place: ArtifactPlace): Promise<Record<string, unknown>> {
  const { row } = await artifactFor(db, principal, place, 'scan', 'read');
  const report = await findReport(db, row.id);
  return report === undefined ? {} : { [adapterMime.report]: report };
}

// "Scan all" (Harbor's /system/scanAll/schedule and /scans/…/metrics), system administrators.
const admins = 'only system administrators scan everything';

function scheduleView(s: ScanAllScheduleRow) {
  return {
    schedule: { type: s.type, cron: s.cron, next_scheduled_time: s.type === 'None' ? null : (nextCronRun(s.cron)?.toISOString() ?? null) },
    creation_time: s.created_at.toISOString(),
    update_time: s.updated_at.toISOString(),
  };
}

export async function getScanAllSchedule(db: Database, principal: Principal) {
  requireAdmin(principal, admins);
  return scheduleView(await findScanAllSchedule(db));
}

/** POST /system/scanAll/schedule: type Manual starts a run now; any other type sets the schedule. */
export async function postScanAllSchedule(db: Database, principal: Principal, input: GcScheduleInput): Promise<void> {
  requireAdmin(principal, admins);
  const s = parseSchedule(input?.schedule);
  if (s.type !== 'Manual') return putScanAllSchedule(db, principal, input);
  await db.tx(async (q) => {
    const id = await createScanAllRun(q, 'MANUAL', null);
    await recordAudit(q, { operation: 'scan', resourceType: 'scan_all', resource: `run ${id}` });
  });
}

export async function putScanAllSchedule(db: Database, principal: Principal, input: GcScheduleInput): Promise<void> {
  requireAdmin(principal, admins);
  const s = parseSchedule(input?.schedule);
  if (s.type === 'Manual') throw new DomainError('INVALID', 'a schedule cannot be Manual; POST a Manual schedule to scan now');
  await db.tx(async (q) => {
    await saveScanAllSchedule(q, s.type as ScanAllScheduleRow['type'], s.cron);
    await recordAudit(q, { operation: 'update', resourceType: 'scan_all_schedule', resource: `${s.type}${s.cron ? ` ${s.cron}` : ''}` });
  });
}

/** GET /scans/all/metrics (any run) and /scans/schedule/metrics (scheduled runs): the latest run's tasks by status. */
export async function getScanAllMetrics(db: Database, principal: Principal, trigger?: 'SCHEDULE') {
  requireAdmin(principal, admins);
  const m = await scanAllMetrics(db, trigger);
  const metrics = { Pending: 0, Running: 0, Success: 0, Error: 0, Stopped: 0, ...(m?.byStatus ?? {}) };
  const total = Object.values(metrics).reduce((a, b) => a + b, 0);
  const ongoing = metrics.Pending + metrics.Running;
  return { total, completed: total - ongoing, metrics, ongoing: ongoing > 0, trigger: m ? (m.trigger === 'MANUAL' ? 'Manual' : 'Schedule') : '' };
}
