import type { Queryer } from './database.js';

export async function openUploadCount(q: Queryer): Promise<number> {
  return (await q.query<{ n: number }>('SELECT count(*)::int AS n FROM uploads', [])).rows[0].n;
}

export async function replicationTaskCounts(q: Queryer): Promise<Record<string, number>> {
  const { rows } = await q.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM replication_tasks GROUP BY status', []);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
