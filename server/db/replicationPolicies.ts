import { nameTakenByAnother, pageWhereContains, type Queryer } from './database.js';
import type { PolicyFilter, PolicyTrigger } from '../lib/harborTypes.js';

export interface PolicyRow {
  id: number;
  name: string;
  description: string;
  src_registry_id: number | null;
  dest_registry_id: number | null;
  dest_namespace: string;
  dest_namespace_replace_count: number;
  trig: PolicyTrigger;
  filters: PolicyFilter[];
  replicate_deletion: boolean;
  override: boolean;
  enabled: boolean;
  speed_kb: number;
  copy_by_chunk: boolean;
  created_at: Date;
  updated_at: Date;
}

export type PolicyFields = Omit<PolicyRow, 'id' | 'created_at' | 'updated_at'>;

const columns =
  'id, name, description, src_registry_id, dest_registry_id, dest_namespace, dest_namespace_replace_count, trig, filters, replicate_deletion, override, enabled, speed_kb, copy_by_chunk, created_at, updated_at';

function params(p: PolicyFields): unknown[] {
  return [
    p.name,
    p.description,
    p.src_registry_id,
    p.dest_registry_id,
    p.dest_namespace,
    p.dest_namespace_replace_count,
    JSON.stringify(p.trig),
    JSON.stringify(p.filters),
    p.replicate_deletion,
    p.override,
    p.enabled,
    p.speed_kb,
    p.copy_by_chunk,
  ];
}

/** Inserts a rule; undefined when the name is taken. */
export async function savePolicy(q: Queryer, p: PolicyFields): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO replication_policies (name, description, src_registry_id, dest_registry_id, dest_namespace, dest_namespace_replace_count,
                                       trig, filters, replicate_deletion, override, enabled, speed_kb, copy_by_chunk)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12, $13)
     ON CONFLICT ON CONSTRAINT uq_replication_policies_name DO NOTHING RETURNING id`,
    params(p),
  );
  return rows[0]?.id;
}

/** Replaces a rule's fields; false when the new name is taken by another rule. */
export async function updatePolicy(q: Queryer, id: number, p: PolicyFields): Promise<boolean> {
  if (await nameTakenByAnother(q, 'replication_policies', p.name, id)) return false;
  await q.query(
    `UPDATE replication_policies SET name = $2, description = $3, src_registry_id = $4, dest_registry_id = $5, dest_namespace = $6,
            dest_namespace_replace_count = $7, trig = $8::jsonb, filters = $9::jsonb, replicate_deletion = $10, override = $11,
            enabled = $12, speed_kb = $13, copy_by_chunk = $14, updated_at = now()
      WHERE id = $1`,
    [id, ...params(p)],
  );
  return true;
}

export async function findPolicy(q: Queryer, id: number): Promise<PolicyRow | undefined> {
  const { rows } = await q.query<PolicyRow>(`SELECT ${columns} FROM replication_policies WHERE id = $1`, [id]);
  return rows[0];
}

export async function listPolicies(q: Queryer, nameContains: string | undefined, limit: number, offset: number): Promise<{ rows: PolicyRow[]; total: number }> {
  return pageWhereContains<PolicyRow>(q, { table: 'replication_policies', columns, column: 'name' }, nameContains, limit, offset);
}

export async function removePolicy(q: Queryer, id: number): Promise<boolean> {
  const res = await q.query('DELETE FROM replication_policies WHERE id = $1', [id]);
  return res.rowCount > 0;
}

export async function countPoliciesUsing(q: Queryer, registryId: number): Promise<number> {
  const { rows } = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM replication_policies WHERE src_registry_id = $1 OR dest_registry_id = $1', [
    registryId,
  ]);
  return rows[0].n;
}

/** The enabled event-based rules (push rules by construction). */
export async function eventRuleIds(q: Queryer): Promise<number[]> {
  const { rows } = await q.query<{ id: number }>(`SELECT id FROM replication_policies WHERE enabled AND trig->>'type' = 'event_based' ORDER BY id`, []);
  return rows.map((r) => r.id);
}

/** The enabled scheduled rules with their cron expressions. */
export async function scheduledRules(q: Queryer): Promise<Array<{ id: number; cron: string }>> {
  const { rows } = await q.query<{ id: number; cron: string }>(
    `SELECT id, trig->'trigger_settings'->>'cron' AS cron FROM replication_policies WHERE enabled AND trig->>'type' = 'scheduled' ORDER BY id`,
    [],
  );
  return rows;
}
