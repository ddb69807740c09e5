// SQL of the replication outbox: pushes and deletions written in the transaction that made
// them, taken by a worker for event-based rules (migration 0009).
import type { Queryer } from './database.js';

export interface ReplicationEvent {
  id: number;
  operation: 'push' | 'delete';
  repository: string;
  reference: string;
  digest: string | null;
  artifact_type: string | null;
}

/**
 * Records a push or deletion for event-based rules, in the caller's transaction; writes
 * nothing (one cheap probe) while no enabled event-based rule exists.
 */
export async function queueReplicationEvent(q: Queryer, e: Omit<ReplicationEvent, 'id'>): Promise<void> {
  await q.query(
    `INSERT INTO replication_events (operation, repository, reference, digest, artifact_type)
     SELECT $1, $2, $3, $4, $5
      WHERE EXISTS (SELECT 1 FROM replication_policies WHERE enabled AND trig->>'type' = 'event_based')`,
    [e.operation, e.repository, e.reference, e.digest, e.artifact_type],
  );
}

/** Takes (deletes) the oldest events; in a transaction, so a crash before commit gives them back. */
export async function takeEvents(q: Queryer, limit: number): Promise<ReplicationEvent[]> {
  const { rows } = await q.query<ReplicationEvent>(
    `DELETE FROM replication_events WHERE id IN (SELECT id FROM replication_events ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING id, operation, repository, reference, digest, artifact_type`,
    [limit],
  );
  return rows.sort((a, b) => a.id - b.id);
}
