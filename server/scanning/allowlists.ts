// CVE allowlists (Harbor's /system/CVEAllowlist and a project's cve_allowlist): CVE ids the
// pull gate does not count. A project uses the system's list while reuse_sys_cve_allowlist
// is true, else its own; a list whose expires_at has passed exempts nothing.
import { recordAudit } from '../audit/record.js';
import type { Database, Queryer } from '../db/database.js';
import { allowlistInForce, findAllowlist, saveAllowlist, type AllowlistRow } from '../db/cveAllowlists.js';
import { DomainError } from '../lib/errors.js';
import type { CveAllowlistView } from '../lib/harborTypes.js';
import { requireAdmin, requireUser, type Principal } from '../lib/principal.js';

export interface ParsedAllowlist {
  items: string[];
  expiresAt: number | null;
}

const cveId = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const maxItems = 10_000;

export function parseAllowlist(input: unknown, what: string): ParsedAllowlist {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    throw new DomainError('INVALID', `${what} must be an object {items: [{cve_id}], expires_at}`);
  const { items, expires_at: expiresAt } = input as { items?: unknown; expires_at?: unknown };
  if (items !== undefined && !Array.isArray(items)) throw new DomainError('INVALID', `${what}.items must be a list of {cve_id}`);
  if (expiresAt !== undefined && expiresAt !== null && (typeof expiresAt !== 'number' || !Number.isInteger(expiresAt) || expiresAt < 0))
    throw new DomainError('INVALID', `${what}.expires_at must be Unix seconds, or null for never`);
  const ids = (items ?? []).map((it, i) => {
    const id = (it as { cve_id?: unknown } | null)?.cve_id;
    if (typeof id !== 'string' || !cveId.test(id.trim())) throw new DomainError('INVALID', `${what}.items[${i}].cve_id must be a CVE id such as CVE-2024-3094`);
    return id.trim();
  });
  if (ids.length > maxItems) throw new DomainError('INVALID', `${what} holds at most ${maxItems} CVE ids`);
  return { items: [...new Set(ids)], expiresAt: (expiresAt as number | null | undefined) ?? null };
}

export function describeAllowlist(a: ParsedAllowlist): string {
  const shown = a.items.slice(0, 20).join(',') + (a.items.length > 20 ? `,…(${a.items.length})` : '');
  return `[${shown}]${a.expiresAt === null ? '' : ` expires_at=${a.expiresAt}`}`;
}

export function allowlistView(row: AllowlistRow | undefined, projectId: number): CveAllowlistView {
  const now = new Date().toISOString();
  return {
    id: row?.id ?? 0,
    project_id: projectId,
    expires_at: row?.expires_at ?? null,
    items: (row?.items ?? []).map((cve_id) => ({ cve_id })),
    creation_time: row?.created_at.toISOString() ?? now,
    update_time: row?.updated_at.toISOString() ?? now,
  };
}

/** The CVE ids exempt from the gate in this project now. */
export async function exemptCves(q: Queryer, projectId: number): Promise<ReadonlySet<string>> {
  const row = await allowlistInForce(q, projectId);
  if (!row || (row.expires_at !== null && row.expires_at * 1000 <= Date.now())) return new Set();
  return new Set(row.items);
}

/** GET /system/CVEAllowlist: any signed-in user may read it (Harbor's console shows it to project admins). */
export async function getSystemAllowlist(db: Database, principal: Principal): Promise<CveAllowlistView> {
  requireUser(principal);
  return allowlistView(await findAllowlist(db, null), 0);
}

/** PUT /system/CVEAllowlist {items, expires_at}: system administrators. */
export async function putSystemAllowlist(db: Database, principal: Principal, input: unknown): Promise<void> {
  requireAdmin(principal, 'only system administrators change the system CVE allowlist');
  const a = parseAllowlist(input, 'the allowlist');
  await db.tx(async (q) => {
    await saveAllowlist(q, null, a.items, a.expiresAt);
    await recordAudit(q, { operation: 'update', resourceType: 'cve_allowlist', resource: `system ${describeAllowlist(a)}` });
  });
}
