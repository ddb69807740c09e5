// The audit log's hash chain: each row's hash is SHA-256 over the previous row's hash and
// a canonical encoding of the row's fields. The encoding is a JSON array in a fixed order,
// so it never depends on key order, and times are ISO strings in milliseconds, which
// PostgreSQL stores and returns exactly.
import { hash } from 'node:crypto';
import type { AuditFields, ChainedRow } from '../db/audit.js';

export const genesisHash = '0'.repeat(64);

export function canonical(r: AuditFields): string {
  return JSON.stringify([
    r.id,
    r.opTime.toISOString(),
    r.username,
    r.actorType,
    r.clientAddress,
    r.operation,
    r.resourceType,
    r.resource,
    r.projectId,
    r.projectName,
    r.isSuccessful,
    r.count,
    r.errorCode,
    r.userAgent,
    r.requestId,
  ]);
}

export function rowHash(prevHash: string, r: AuditFields): string {
  return hash('sha256', `${prevHash}\n${canonical(r)}`, 'hex');
}

/** Chains rows after a head: gapless ids from headId + 1, each hash over the one before. */
export function chain(headId: number, headHash: string, rows: Array<Omit<AuditFields, 'id'>>): ChainedRow[] {
  let prev = headHash;
  return rows.map((r, i) => {
    const fields = { ...r, id: headId + 1 + i };
    const hash = rowHash(prev, fields);
    const row = { ...fields, prevHash: prev, hash };
    prev = hash;
    return row;
  });
}
