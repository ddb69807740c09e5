import { projectRepositoriesPattern, type Queryer } from './database.js';

export interface QuotaRow {
  id: number;
  name: string;
  owner_name: string | null;
  storage_limit: number;
  storage_used: number;
  created_at: Date;
  updated_at: Date;
}

/** Locks the project row for the rest of the transaction (serializes charges). */
export async function lockProjectQuota(q: Queryer, projectName: string): Promise<{ id: number; storage_limit: number; storage_used: number } | undefined> {
  const { rows } = await q.query<{ id: number; storage_limit: number; storage_used: number }>(
    'SELECT id, storage_limit, storage_used FROM projects WHERE name = $1 FOR UPDATE',
    [projectName],
  );
  return rows[0];
}

export async function hasProjectBlob(q: Queryer, projectId: number, digest: string): Promise<boolean> {
  const { rows } = await q.query('SELECT 1 FROM project_blobs WHERE project_id = $1 AND digest = $2', [projectId, digest]);
  return rows.length > 0;
}

export async function saveProjectBlob(q: Queryer, projectId: number, digest: string, size: number): Promise<void> {
  await q.query('INSERT INTO project_blobs (project_id, digest, size) VALUES ($1, $2, $3) ON CONFLICT ON CONSTRAINT pk_project_blobs DO NOTHING', [
    projectId,
    digest,
    size,
  ]);
  await q.query('UPDATE projects SET storage_used = storage_used + $2 WHERE id = $1', [projectId, size]);
}

/** Forgets blobs no repository of the project links any more, and sets usage to the exact sum. */
export async function recomputeProjectUsage(q: Queryer, projectName: string): Promise<void> {
  const prefix = projectRepositoriesPattern(projectName);
  await q.query(
    `DELETE FROM project_blobs pb USING projects p
      WHERE pb.project_id = p.id AND p.name = $1
        AND NOT EXISTS (SELECT 1 FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id
                         WHERE rb.digest = pb.digest AND r.name LIKE $2)`,
    [projectName, prefix],
  );
  await q.query(`UPDATE projects p SET storage_used = COALESCE((SELECT sum(size) FROM project_blobs pb WHERE pb.project_id = p.id), 0) WHERE p.name = $1`, [
    projectName,
  ]);
}

export async function listQuotas(q: Queryer, limit: number, offset: number): Promise<{ rows: QuotaRow[]; total: number }> {
  const total = (await q.query<{ n: number }>('SELECT count(*)::int AS n FROM projects')).rows[0].n;
  const { rows } = await q.query<QuotaRow>(
    `SELECT p.id, p.name, u.username AS owner_name, p.storage_limit, p.storage_used, p.created_at, p.updated_at
       FROM projects p LEFT JOIN users u ON u.id = p.owner_id ORDER BY p.id LIMIT $1 OFFSET $2`,
    [limit, offset],
  );
  return { rows, total };
}

export async function findQuota(q: Queryer, projectId: number): Promise<QuotaRow | undefined> {
  const { rows } = await q.query<QuotaRow>(
    `SELECT p.id, p.name, u.username AS owner_name, p.storage_limit, p.storage_used, p.created_at, p.updated_at
       FROM projects p LEFT JOIN users u ON u.id = p.owner_id WHERE p.id = $1`,
    [projectId],
  );
  return rows[0];
}

export async function updateStorageLimit(q: Queryer, projectId: number, limit: number): Promise<void> {
  await q.query('UPDATE projects SET storage_limit = $2, updated_at = now() WHERE id = $1', [projectId, limit]);
}

export interface UsageDrift {
  project: string;
  /** What the project's row said, and what its repositories' links add up to. */
  recorded: number;
  actual: number;
}

/**
 * Compares every project's usage with the reference graph (the distinct blobs its
 * repositories link); with `fix`, charges and usage are made exact, each project under its
 * lock. Returns the projects that differed.
 */
export async function reconcileUsage(q: Queryer, fix: boolean): Promise<UsageDrift[]> {
  const { rows } = await q.query<{ id: number; project: string; recorded: number; actual: number }>(
    `SELECT p.id, p.name AS project, p.storage_used::float8 AS recorded,
            coalesce((SELECT sum(b.size) FROM blobs b
                       WHERE b.digest IN (SELECT rb.digest FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id
                                           WHERE split_part(r.name, '/', 1) = p.name)), 0)::float8 AS actual
       FROM projects p ORDER BY p.name ${fix ? 'FOR UPDATE OF p' : ''}`,
    [],
  );
  const drift = rows.filter((r) => r.recorded !== r.actual);
  if (fix) {
    for (const d of drift) {
      await q.query(
        `INSERT INTO project_blobs (project_id, digest, size)
         SELECT DISTINCT $1::bigint, b.digest, b.size FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id JOIN blobs b ON b.digest = rb.digest
          WHERE r.name LIKE $2 ON CONFLICT ON CONSTRAINT pk_project_blobs DO NOTHING`,
        [d.id, projectRepositoriesPattern(d.project)],
      );
      await recomputeProjectUsage(q, d.project);
    }
  }
  return drift.map(({ project, recorded, actual }) => ({ project, recorded, actual }));
}
