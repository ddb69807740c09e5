// Project storage quotas. A blob is charged to a project once, when it is first linked
// into any of the project's repositories, inside the linking transaction and under a lock
// on the project row: two concurrent pushes racing for the last bytes cannot both win.
import { ApiError } from '../api/errors.js';
import { recordAudit } from '../audit/record.js';
import type { Paging } from '../api/query.js';
import { requireAdmin, type Principal } from '../auth/principal.js';
import type { Database, Queryer } from '../db/database.js';
import { findQuota, hasProjectBlob, listQuotas, lockProjectQuota, recomputeProjectUsage, saveProjectBlob, updateStorageLimit, type QuotaRow } from '../db/quotas.js';
import { RegistryError } from '../registry/errors.js';
import { projectOf } from './projects.js';

function mib(bytes: number): string {
  return bytes < 1024 * 1024 ? `${bytes} bytes` : `${(bytes / 1024 / 1024).toFixed(1)} MiB (${bytes} bytes)`;
}

/** Charges a blob newly linked into `repository` to its project; throws DENIED past the limit. */
export async function chargeBlob(q: Queryer, repository: string, digest: string, size: number): Promise<void> {
  const projectName = projectOf(repository);
  if (!projectName) return;
  const project = await lockProjectQuota(q, projectName);
  if (!project || (await hasProjectBlob(q, project.id, digest))) return;
  if (project.storage_limit >= 0 && project.storage_used + size > project.storage_limit) {
    const over = project.storage_used + size - project.storage_limit;
    throw new RegistryError(
      'DENIED',
      `quota exceeded: adding ${mib(size)} to project ${projectName} (using ${mib(project.storage_used)}) would exceed its limit of ${mib(project.storage_limit)} by ${mib(over)}`,
      { project: projectName, limit: project.storage_limit, used: project.storage_used, requested: size, over },
    );
  }
  await saveProjectBlob(q, project.id, digest, size);
}

/** Refuses a manifest push while the project is over its (possibly lowered) limit. */
export async function checkWithinQuota(q: Queryer, repository: string): Promise<void> {
  const projectName = projectOf(repository);
  if (!projectName) return;
  const project = await lockProjectQuota(q, projectName);
  if (project && project.storage_limit >= 0 && project.storage_used > project.storage_limit) {
    throw new RegistryError('DENIED', `quota exceeded: project ${projectName} uses ${mib(project.storage_used)} of its ${mib(project.storage_limit)} limit; delete something or raise the quota`, {
      project: projectName,
      limit: project.storage_limit,
      used: project.storage_used,
      over: project.storage_used - project.storage_limit,
    });
  }
}

/** After unlinking blobs: usage becomes exact again. */
export async function releaseUnused(q: Queryer, repository: string): Promise<void> {
  const projectName = projectOf(repository);
  if (projectName) await recomputeProjectUsage(q, projectName);
}

export interface QuotaView {
  id: number;
  ref: { id: number; name: string; owner_name: string | null };
  hard: { storage: number };
  used: { storage: number };
  creation_time: string;
  update_time: string;
}

function view(r: QuotaRow): QuotaView {
  return {
    id: r.id,
    ref: { id: r.id, name: r.name, owner_name: r.owner_name },
    hard: { storage: r.storage_limit },
    used: { storage: r.storage_used },
    creation_time: new Date(r.created_at).toISOString(),
    update_time: new Date(r.updated_at).toISOString(),
  };
}

export async function listQuotasFor(db: Database, principal: Principal, paging: Paging) {
  requireAdmin(principal, 'only system administrators manage quotas');
  const { rows, total } = await listQuotas(db, paging.pageSize, paging.offset);
  return { items: rows.map(view), total };
}

export async function getQuota(db: Database, principal: Principal, id: string): Promise<QuotaView> {
  requireAdmin(principal, 'only system administrators manage quotas');
  const row = /^\d+$/.test(id) ? await findQuota(db, Number(id)) : undefined;
  if (!row) throw new ApiError('NOT_FOUND', `quota ${id.slice(0, 50)} not found`);
  return view(row);
}

export function parseStorageLimit(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < -1) throw new ApiError('BAD_REQUEST', 'storage is a number of bytes, or -1 for unlimited');
  return v;
}

/** PUT /quotas/{id} {hard: {storage}}: administrators. */
export async function setQuota(db: Database, principal: Principal, id: string, input: { hard?: { storage?: unknown } }): Promise<void> {
  const quota = await getQuota(db, principal, id);
  const limit = parseStorageLimit(input.hard?.storage);
  await db.tx(async (q) => {
    await updateStorageLimit(q, quota.id, limit);
    await recordAudit(q, { operation: 'update', resourceType: 'quota', resource: `${quota.ref.name} storage=${limit}`, projectName: quota.ref.name });
  });
}
