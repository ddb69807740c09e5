// Keeping the audit log sound: the chain verification and the retention purge, for any
// caller (the management API checks who may ask; npm run audit:verify and the scheduled
// purge are the system).
import { auditRowsAfter, chainState, lockChainHead, purgeablePrefix, removeAuditPrefix } from '../db/audit.js';
import type { Database } from '../db/database.js';
import { rowHash } from './chain.js';
import { recordAudit } from './record.js';

export type VerifyResult =
  | { intact: true; rows: number; first_id: number; last_id: number }
  | { intact: false; rows: number; first_bad_id: number; reason: string };

/** Walks the chain from the anchor to the head and reports the first row that does not fit. */
export async function verifyAuditChain(db: Database): Promise<VerifyResult> {
  const state = await chainState(db);
  let prevHash = state.anchor_hash;
  let expected = state.anchor_id + 1;
  let rows = 0;
  const bad = (id: number, reason: string): VerifyResult => ({ intact: false, rows, first_bad_id: id, reason });
  while (expected <= state.last_id) {
    const batch = await auditRowsAfter(db, expected - 1, 5000);
    if (!batch.length) break;
    for (const r of batch) {
      if (r.id > state.last_id) break;
      if (r.id !== expected) return bad(expected, `row ${expected} is missing (the next row is ${r.id})`);
      if (r.prev_hash !== prevHash) return bad(r.id, `row ${r.id} does not follow the row before it (previous hash differs)`);
      const fields = {
        id: r.id,
        opTime: new Date(r.op_time),
        username: r.username,
        actorType: r.actor_type,
        clientAddress: r.client_address,
        operation: r.operation,
        resourceType: r.resource_type,
        resource: r.resource,
        projectId: r.project_id,
        projectName: r.project_name,
        isSuccessful: r.is_successful,
        count: r.count,
        errorCode: r.error_code,
        userAgent: r.user_agent,
        requestId: r.request_id,
      };
      if (rowHash(prevHash, fields) !== r.hash) return bad(r.id, `row ${r.id} was changed after it was written (its hash does not match its content)`);
      prevHash = r.hash;
      expected++;
      rows++;
    }
  }
  if (expected <= state.last_id) return bad(expected, `rows ${expected} to ${state.last_id} are missing`);
  if (prevHash !== state.last_hash) return bad(state.last_id, `the chain head does not match row ${state.last_id}`);
  return { intact: true, rows, first_id: state.anchor_id + 1, last_id: state.last_id };
}

/**
 * Deletes the rows older than the retention, oldest first and as one prefix of the chain,
 * keeping the last deleted row's hash as the anchor so the rest still verifies. A dry run
 * only counts. The purge is itself recorded.
 */
export async function purgeAuditLog(db: Database, retentionMs: number, dryRun: boolean): Promise<{ rows: number; dry_run: boolean; before: string }> {
  const cutoff = new Date(Date.now() - retentionMs);
  return db.tx(async (q) => {
    await lockChainHead(q);
    const prefix = await purgeablePrefix(q, cutoff);
    const rows = prefix?.rows ?? 0;
    if (!dryRun && prefix) {
      await removeAuditPrefix(q, prefix.lastId, prefix.lastHash);
      await recordAudit(q, {
        operation: 'purge',
        resourceType: 'audit_log',
        resource: `${rows} rows before ${cutoff.toISOString()} (up to id ${prefix.lastId})`,
      });
    }
    return { rows, dry_run: dryRun, before: cutoff.toISOString() };
  });
}
