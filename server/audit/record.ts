// Recording audit rows. A change records its row with recordAudit inside its own
// transaction, as the transaction's last statement: the row commits with the change or not
// at all, and the chain head stays locked only from there to the commit. Events that
// change nothing (pulls, logins) go through the request's AuditWriter, which batches them
// off the request path.
import type { Queryer } from '../db/database.js';
import { addDropped, appendAuditRows, lockChainHead } from '../db/audit.js';
import type { ActorType, AuditFields } from '../db/audit.js';
import { chain } from './chain.js';
import { currentActor, requestAudit } from './context.js';

/** Harbor's operation names, plus the ones Harbor lacks a name for. */
export type AuditOperation = 'create' | 'update' | 'delete' | 'pull' | 'login' | 'logout' | 'purge' | 'scan';

export interface AuditEvent {
  operation: AuditOperation;
  /** artifact, tag, repository, project, project_member, robot, user, quota, user_login_logout, audit_log, … */
  resourceType: string;
  resource: string;
  /** The project the resource belongs to, by name; its id is looked up when recorded unless given. */
  projectName?: string | null;
  projectId?: number;
  ok?: boolean;
  errorCode?: string;
  /** Who acted, when the request's principal does not say (a failed login names the account tried). */
  actor?: { username: string; actorType: ActorType };
  opTime?: Date;
}

export type PendingRow = Omit<AuditFields, 'id'>;

// PostgreSQL text cannot hold NUL; a name sent with one (a probe) is still recorded.
const text = (v: string) => (v.includes('\u0000') ? v.replaceAll('\u0000', '\ufffd') : v);

export function pendingRow(e: AuditEvent): PendingRow {
  const a = currentActor(e.actor);
  const username = text(a.username);
  const resource = text(e.resource);
  return {
    opTime: e.opTime ?? new Date(),
    username: username.length > 255 ? username.slice(0, 255) : username,
    actorType: a.actorType,
    clientAddress: a.clientAddress,
    operation: e.operation,
    resourceType: e.resourceType,
    resource: resource.length > 1024 ? resource.slice(0, 1024) : resource,
    projectName: e.projectName ?? null,
    projectId: e.projectId ?? null,
    isSuccessful: e.ok ?? true,
    count: 1,
    errorCode: e.errorCode ?? null,
    userAgent: a.userAgent && a.userAgent.length > 512 ? a.userAgent.slice(0, 512) : a.userAgent,
    requestId: a.requestId,
  };
}

/** Whether this request records audit rows (BERTH_AUDIT_LOG; outside requests always). */
function enabled(): boolean {
  return requestAudit.getStore()?.writer?.enabled ?? true;
}

/** Appends rows to the chain; the caller's transaction must commit right after. */
export async function appendPending(q: Queryer, rows: PendingRow[], dropped = 0): Promise<void> {
  if (!rows.length && !dropped) return;
  const unresolved = rows.filter((r) => r.projectId === null && r.projectName).map((r) => r.projectName!);
  const head = await lockChainHead(q, [...new Set(unresolved)]);
  const chained = chain(
    head.last_id,
    head.last_hash,
    rows.map((r) => ({ ...r, projectId: r.projectId ?? (r.projectName ? (head.projects[r.projectName] ?? null) : null) })),
  );
  if (chained.length) await appendAuditRows(q, chained, dropped);
  else await addDropped(q, dropped);
}

/** Records a change inside its transaction (call it last, just before the commit). */
export async function recordAudit(q: Queryer, events: AuditEvent | AuditEvent[]): Promise<void> {
  if (!enabled()) return;
  await appendPending(q, (Array.isArray(events) ? events : [events]).map(pendingRow));
}

/** Records an event that changes nothing (a pull, a login) without waiting for the database. */
export function recordLater(event: AuditEvent): void {
  const writer = requestAudit.getStore()?.writer;
  if (writer?.enabled) writer.enqueue(pendingRow(event));
}

/** How the log names an artifact: `p/r:tag@sha256:…`, or `p/r@sha256:…` without a tag. */
export function artifactResource(repository: string, digest: string | undefined, tag?: string): string {
  return `${repository}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
}
