import type { Queryer } from './database.js';

export interface ProjectRow {
  id: number;
  name: string;
  public: boolean;
  owner_id: number | null;
  owner_name: string | null;
  created_at: Date;
  updated_at: Date;
}

const columns = `p.id, p.name, p.public, p.owner_id, u.username AS owner_name, p.created_at, p.updated_at`;

export async function findProjectByName(q: Queryer, name: string): Promise<ProjectRow | undefined> {
  const { rows } = await q.query<ProjectRow>(`SELECT ${columns} FROM projects p LEFT JOIN users u ON u.id = p.owner_id WHERE p.name = $1`, [name]);
  return rows[0];
}

export async function findProjectById(q: Queryer, id: number): Promise<ProjectRow | undefined> {
  const { rows } = await q.query<ProjectRow>(`SELECT ${columns} FROM projects p LEFT JOIN users u ON u.id = p.owner_id WHERE p.id = $1`, [id]);
  return rows[0];
}

/** The project and the user's role in it, in one query (the /v2 hot path). */
export async function findProjectAccess(
  q: Queryer,
  projectName: string,
  userId: number | null,
): Promise<{ id: number; public: boolean; role_id: number | null } | undefined> {
  const { rows } = await q.query<{ id: number; public: boolean; role_id: number | null }>(
    `SELECT p.id, p.public, m.role_id FROM projects p
       LEFT JOIN project_members m ON m.project_id = p.id AND m.user_id = $2
      WHERE p.name = $1`,
    [projectName, userId],
  );
  return rows[0];
}

/** Inserts a project; undefined when the name is taken. */
export async function saveProject(q: Queryer, p: { name: string; public: boolean; ownerId: number | null }): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO projects (name, public, owner_id) VALUES ($1, $2, $3)
     ON CONFLICT ON CONSTRAINT uq_projects_name DO NOTHING RETURNING id`,
    [p.name, p.public, p.ownerId],
  );
  return rows[0]?.id;
}

export async function countProjectRepositories(q: Queryer, projectName: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM repositories WHERE name LIKE $1 || '/%' AND EXISTS (
       SELECT 1 FROM manifests m WHERE m.repository_id = repositories.id
       UNION ALL SELECT 1 FROM repository_blobs b WHERE b.repository_id = repositories.id)`,
    [projectName.replace(/[\\%_]/g, (c) => `\\${c}`)],
  );
  return rows[0].n;
}

export async function removeProject(q: Queryer, id: number): Promise<void> {
  await q.query('DELETE FROM projects WHERE id = $1', [id]);
}

/** Adds a member; false when the user already is one. */
export async function saveMember(q: Queryer, projectId: number, userId: number, roleId: number): Promise<boolean> {
  const res = await q.query(
    'INSERT INTO project_members (project_id, user_id, role_id) VALUES ($1, $2, $3) ON CONFLICT ON CONSTRAINT pk_project_members DO NOTHING',
    [projectId, userId, roleId],
  );
  return res.rowCount > 0;
}
