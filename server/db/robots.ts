import type { Queryer } from './database.js';

export interface RobotRow {
  id: number;
  name: string;
  description: string;
  level: 'system' | 'project';
  project_id: number | null;
  secret_hash: string;
  disabled: boolean;
  duration_days: number;
  expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface RobotGrant {
  namespace: string;
  resource: string;
  action: string;
}

const columns = 'id, name, description, level, project_id, secret_hash, disabled, duration_days, expires_at, created_at, updated_at';

export async function findRobotByName(q: Queryer, name: string): Promise<RobotRow | undefined> {
  const { rows } = await q.query<RobotRow>(`SELECT ${columns} FROM robots WHERE name = $1`, [name]);
  return rows[0];
}

export async function findRobotById(q: Queryer, id: number): Promise<RobotRow | undefined> {
  const { rows } = await q.query<RobotRow>(`SELECT ${columns} FROM robots WHERE id = $1`, [id]);
  return rows[0];
}

export async function listRobotGrants(q: Queryer, robotId: number): Promise<RobotGrant[]> {
  const { rows } = await q.query<RobotGrant>(
    'SELECT namespace, resource, action FROM robot_permissions WHERE robot_id = $1 ORDER BY namespace, resource, action',
    [robotId],
  );
  return rows;
}

/** Inserts a robot; undefined when the name is taken. */
export async function saveRobot(
  q: Queryer,
  r: {
    name: string;
    description: string;
    level: 'system' | 'project';
    projectId: number | null;
    secretHash: string;
    disabled: boolean;
    durationDays: number;
    creatorId: number;
  },
): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO robots (name, description, level, project_id, secret_hash, disabled, duration_days, expires_at, creator_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $7::int < 0 THEN NULL ELSE now() + ($7::int * interval '1 day') END, $8)
     ON CONFLICT ON CONSTRAINT uq_robots_name DO NOTHING RETURNING id`,
    [r.name, r.description, r.level, r.projectId, r.secretHash, r.disabled, r.durationDays, r.creatorId],
  );
  return rows[0]?.id;
}

export async function replaceRobotGrants(q: Queryer, robotId: number, grants: RobotGrant[]): Promise<void> {
  await q.query('DELETE FROM robot_permissions WHERE robot_id = $1', [robotId]);
  for (const g of grants) {
    await q.query(
      'INSERT INTO robot_permissions (robot_id, namespace, resource, action) VALUES ($1, $2, $3, $4) ON CONFLICT ON CONSTRAINT pk_robot_permissions DO NOTHING',
      [robotId, g.namespace, g.resource, g.action],
    );
  }
}

export async function updateRobot(q: Queryer, id: number, r: { description: string; disabled: boolean; durationDays: number }): Promise<void> {
  await q.query(
    `UPDATE robots SET description = $2, disabled = $3,
       expires_at = CASE WHEN $4::int = duration_days THEN expires_at WHEN $4::int < 0 THEN NULL ELSE created_at + ($4::int * interval '1 day') END,
       duration_days = $4, updated_at = now() WHERE id = $1`,
    [id, r.description, r.disabled, r.durationDays],
  );
}

export async function updateRobotSecret(q: Queryer, id: number, secretHash: string): Promise<void> {
  await q.query('UPDATE robots SET secret_hash = $2, updated_at = now() WHERE id = $1', [id, secretHash]);
}

export async function removeRobot(q: Queryer, id: number): Promise<boolean> {
  const res = await q.query('DELETE FROM robots WHERE id = $1', [id]);
  return res.rowCount > 0;
}

export interface RobotFilter {
  projectId?: number;
  level?: 'system' | 'project';
  nameExact?: string;
  nameContains?: string;
}

/** One page of robots matching every given filter, and the total. Every value is a parameter. */
export async function listRobots(q: Queryer, f: RobotFilter, limit: number, offset: number): Promise<{ rows: RobotRow[]; total: number }> {
  const where = `($1::bigint IS NULL OR project_id = $1) AND ($2::text IS NULL OR level = $2)
    AND ($3::text IS NULL OR name = $3) AND ($4::text IS NULL OR strpos(name, $4) > 0)`;
  const params = [f.projectId ?? null, f.level ?? null, f.nameExact ?? null, f.nameContains ?? null];
  const total = (await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM robots WHERE ${where}`, params)).rows[0].n;
  const { rows } = await q.query<RobotRow>(`SELECT ${columns} FROM robots WHERE ${where} ORDER BY id LIMIT $5 OFFSET $6`, [...params, limit, offset]);
  return { rows, total };
}
