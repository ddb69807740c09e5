import type { Queryer } from './database.js';

export interface AllowlistRow {
  id: number;
  project_id: number | null;
  expires_at: number | null;
  items: string[];
  created_at: Date;
  updated_at: Date;
}

const columns = 'id, project_id, expires_at::float8 AS expires_at, items, created_at, updated_at';

/** The system's allowlist (projectId null) or a project's; a project without one has an empty list. */
export async function findAllowlist(q: Queryer, projectId: number | null): Promise<AllowlistRow | undefined> {
  const { rows } = await q.query<AllowlistRow>(`SELECT ${columns} FROM cve_allowlists WHERE coalesce(project_id, 0) = $1`, [projectId ?? 0]);
  return rows[0];
}

export async function saveAllowlist(q: Queryer, projectId: number | null, items: string[], expiresAt: number | null): Promise<void> {
  await q.query(
    `INSERT INTO cve_allowlists (project_id, items, expires_at) VALUES ($1, $2, $3)
     ON CONFLICT ((coalesce(project_id, 0))) DO UPDATE SET items = EXCLUDED.items, expires_at = EXCLUDED.expires_at, updated_at = now()`,
    [projectId, items, expiresAt],
  );
}

/** The allowlist in force for a project: the system's when the project reuses it, else its own. */
export async function allowlistInForce(q: Queryer, projectId: number): Promise<AllowlistRow | undefined> {
  const { rows } = await q.query<AllowlistRow>(
    `SELECT ${columns} FROM cve_allowlists
      WHERE coalesce(project_id, 0) = (SELECT CASE WHEN reuse_sys_cve_allowlist THEN 0 ELSE id END FROM projects WHERE id = $1)`,
    [projectId],
  );
  return rows[0];
}
