// Project storage quotas as the management API shows and sets them. Charging them for
// registry writes is the registry's rule (registry/quota.ts).
import { DomainError } from '../lib/errors.js';
import { recordAudit } from '../audit/record.js';
import type { Paging } from '../lib/query.js';
import { requireAdmin, type Principal } from '../lib/principal.js';
import type { Database } from '../db/database.js';
import { findQuota, listQuotas, reconcileUsage, updateStorageLimit, type QuotaRow, type UsageDrift } from '../db/quotas.js';
import type { QuotaView } from '../lib/harborTypes.js';

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
  if (!row) throw new DomainError('NOT_FOUND', `quota ${id.slice(0, 50)} not found`);
  return view(row);
}

export function parseStorageLimit(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < -1) throw new DomainError('INVALID', 'storage is a number of bytes, or -1 for unlimited');
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

/**
 * POST /quotas/recompute (Berth; administrators): each project's usage against the blobs its
 * repositories really link, the drift reported and, unless a dry run, corrected.
 */
export async function recomputeQuotas(db: Database, principal: Principal, dryRun: boolean): Promise<{ drift: UsageDrift[]; fixed: boolean }> {
  requireAdmin(principal, 'only system administrators manage quotas');
  const drift = await db.tx(async (q) => {
    const found = await reconcileUsage(q, !dryRun);
    if (!dryRun && found.length) {
      await recordAudit(q, {
        operation: 'update',
        resourceType: 'quota',
        resource: `recomputed: ${found.map((d) => `${d.project} ${d.recorded} -> ${d.actual}`).join(', ')}`.slice(0, 2000),
      });
    }
    return found;
  });
  return { drift, fixed: !dryRun && drift.length > 0 };
}
