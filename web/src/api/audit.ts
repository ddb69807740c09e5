// The audit log, all of it or one project's: Harbor's q filter syntax, the list, the
// export links (plain downloads, so full /api/v2.0 addresses) and the query key.
import type { AuditLogView } from '@berth/api-types';
import { getPage } from './client';

export interface AuditFilter {
  user: string;
  operation: string;
  resource: string;
  /** datetime-local values, local time. */
  from: string;
  to: string;
}

/** A datetime-local value (local time) as the API's UTC time. */
function utc(local: string): string {
  return new Date(local).toISOString().slice(0, 19);
}

/** Harbor's q: `key=value` pairs joined by commas; `~` for contains, `[a~b]` for a range. */
export function auditQuery(f: AuditFilter): string {
  const parts: string[] = [];
  if (f.user) parts.push(`username=~${f.user}`);
  if (f.operation) parts.push(`operation=${f.operation}`);
  if (f.resource) parts.push(`resource=~${f.resource}`);
  if (f.from || f.to) parts.push(`op_time=[${f.from ? utc(f.from) : ''}~${f.to ? utc(f.to) : ''}]`);
  return parts.join(',');
}

const auditPath = (project?: string) => (project ? `/projects/${encodeURIComponent(project)}/logs` : '/audit-logs');

export const auditKeys = {
  list: (project: string | undefined, q: string, page: number) => ['audit', auditPath(project), q, page] as const,
};

/** `q` as auditQuery builds it; a project's log when `project` is given. */
export function listAuditLogs(project: string | undefined, q: string, p: { page: number; pageSize: number }) {
  return getPage<AuditLogView>(`${auditPath(project)}?${new URLSearchParams({ ...(q ? { q } : {}), page: String(p.page), page_size: String(p.pageSize) })}`);
}

/** The address that downloads what `q` selects of the whole log. */
export function auditExportUrl(format: 'csv' | 'jsonl', q: string): string {
  return `/api/v2.0/audit-logs/export?${new URLSearchParams({ format, ...(q ? { q } : {}) })}`;
}
