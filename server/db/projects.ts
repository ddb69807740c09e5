import { projectRepositoriesPattern, type Queryer } from './database.js';

export interface ProjectRow {
  id: number;
  name: string;
  public: boolean;
  owner_id: number | null;
  owner_name: string | null;
  created_at: Date;
  updated_at: Date;
  storage_limit: number;
  storage_used: number;
  retention_id: number | null;
  /** Harbor's scanning metadata: scan on push, the pull gate and its severity, whose CVE allowlist applies. */
  auto_scan: boolean;
  prevent_vul: boolean;
  severity: string;
  reuse_sys_cve_allowlist: boolean;
  /** Pulls of images and indexes need a cosign signature verified with one of the project's keys. */
  require_signature: boolean;
  /** Only in lists. */
  repo_count?: number;
}

// retention_id: the project's tag retention policy (Harbor keeps it in the project's metadata).
const columns = `p.id, p.name, p.public, p.owner_id, u.username AS owner_name, p.created_at, p.updated_at, p.storage_limit, p.storage_used,
  p.auto_scan, p.prevent_vul, p.severity, p.reuse_sys_cve_allowlist, p.require_signature,
  (SELECT rp.id FROM retention_policies rp WHERE rp.project_id = p.id) AS retention_id`;

export async function findProjectByName(q: Queryer, name: string): Promise<ProjectRow | undefined> {
  const { rows } = await q.query<ProjectRow>(`SELECT ${columns} FROM projects p LEFT JOIN users u ON u.id = p.owner_id WHERE p.name = $1`, [name]);
  return rows[0];
}

export async function findProjectById(q: Queryer, id: number): Promise<ProjectRow | undefined> {
  const { rows } = await q.query<ProjectRow>(`SELECT ${columns} FROM projects p LEFT JOIN users u ON u.id = p.owner_id WHERE p.id = $1`, [id]);
  return rows[0];
}

/**
 * The roles the user holds in project `p`, their own and their groups' (null: none), as a
 * LEFT JOIN LATERAL giving mr.role_ids; `user` is the parameter holding the user id.
 */
export function memberRolesJoin(user: string): string {
  return `LEFT JOIN LATERAL (
      SELECT array_agg(m.role_id) AS role_ids FROM project_members m
       WHERE m.project_id = p.id AND (m.user_id = ${user} OR m.group_id IN (SELECT g.group_id FROM user_group_memberships g WHERE g.user_id = ${user}))
    ) mr ON true`;
}

/** The project and the user's roles in it (own and groups'), in one query (the /v2 hot path). */
export async function findProjectAccess(
  q: Queryer,
  projectName: string,
  userId: number | null,
): Promise<{ id: number; public: boolean; role_ids: number[] | null } | undefined> {
  const { rows } = await q.query<{ id: number; public: boolean; role_ids: number[] | null }>(
    `SELECT p.id, p.public, mr.role_ids FROM projects p ${memberRolesJoin('$2::bigint')} WHERE p.name = $1`,
    [projectName, userId],
  );
  return rows[0];
}

/** Inserts a project; undefined when the name is taken. */
export async function saveProject(
  q: Queryer,
  p: { name: string; public: boolean; ownerId: number | null; storageLimit?: number },
): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO projects (name, public, owner_id, storage_limit) VALUES ($1, $2, $3, $4)
     ON CONFLICT ON CONSTRAINT uq_projects_name DO NOTHING RETURNING id`,
    [p.name, p.public, p.ownerId, p.storageLimit ?? -1],
  );
  return rows[0]?.id;
}

export async function countProjectRepositories(q: Queryer, projectName: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM repositories WHERE name LIKE $1 AND EXISTS (
       SELECT 1 FROM manifests m WHERE m.repository_id = repositories.id
       UNION ALL SELECT 1 FROM repository_blobs b WHERE b.repository_id = repositories.id)`,
    [projectRepositoriesPattern(projectName)],
  );
  return rows[0].n;
}

export async function removeProject(q: Queryer, id: number): Promise<void> {
  await q.query('DELETE FROM projects WHERE id = $1', [id]);
}

/** Adds a user or a group as a member; its member id, or undefined when it already is one. */
export async function saveMember(q: Queryer, projectId: number, entity: { userId: number } | { groupId: number }, roleId: number): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>(
    'INSERT INTO project_members (project_id, user_id, group_id, role_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id',
    [projectId, 'userId' in entity ? entity.userId : null, 'groupId' in entity ? entity.groupId : null, roleId],
  );
  return rows[0]?.id;
}

export interface ProjectListFilter {
  /** Only projects visible to this user (public or member); undefined: every project (admins). */
  visibleTo?: number | null;
  nameExact?: string;
  nameContains?: string;
  public?: boolean;
  /** The owner's user name, exactly. */
  ownerName?: string;
  orderBy: Array<{ column: 'name' | 'created_at'; descending: boolean }>;
  limit: number;
  offset: number;
}

/** One page of projects and the total matching count. Every value is a parameter. */
export async function listProjects(q: Queryer, f: ProjectListFilter): Promise<{ rows: Array<ProjectRow & { role_ids: number[] | null }>; total: number }> {
  const where: string[] = [];
  const params: unknown[] = [f.visibleTo ?? null];
  if (f.visibleTo !== undefined) where.push('(p.public OR mr.role_ids IS NOT NULL)');
  if (f.nameExact !== undefined) where.push(`p.name = $${params.push(f.nameExact)}`);
  if (f.nameContains !== undefined) where.push(`strpos(p.name, $${params.push(f.nameContains)}) > 0`);
  if (f.public !== undefined) where.push(`p.public = $${params.push(f.public)}`);
  if (f.ownerName !== undefined) where.push(`u.username = $${params.push(f.ownerName)}`);
  const from = `FROM projects p LEFT JOIN users u ON u.id = p.owner_id ${memberRolesJoin('$1::bigint')}
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
  // Column names come from a closed union, never from the request.
  const order = [...f.orderBy.map((o) => `p.${o.column} ${o.descending ? 'DESC' : 'ASC'}`), 'p.id ASC'].join(', ');
  const total = (await q.query<{ n: number }>(`SELECT count(*)::int AS n ${from}`, params)).rows[0].n;
  const rows = (
    await q.query<ProjectRow & { role_ids: number[] | null }>(
      `SELECT ${columns}, mr.role_ids,
              (SELECT count(*)::int FROM repositories r WHERE starts_with(r.name, p.name || '/')) AS repo_count
         ${from} ORDER BY ${order} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, f.limit, f.offset],
    )
  ).rows;
  return { rows, total };
}

export interface ProjectSettings {
  public?: boolean;
  auto_scan?: boolean;
  prevent_vul?: boolean;
  severity?: string;
  reuse_sys_cve_allowlist?: boolean;
  require_signature?: boolean;
}

/** Sets the given fields; the others keep their values. */
export async function updateProjectSettings(q: Queryer, id: number, s: ProjectSettings): Promise<void> {
  await q.query(
    `UPDATE projects SET public = coalesce($2, public), auto_scan = coalesce($3, auto_scan), prevent_vul = coalesce($4, prevent_vul),
            severity = coalesce($5, severity), reuse_sys_cve_allowlist = coalesce($6, reuse_sys_cve_allowlist),
            require_signature = coalesce($7, require_signature), updated_at = now()
      WHERE id = $1`,
    [id, s.public ?? null, s.auto_scan ?? null, s.prevent_vul ?? null, s.severity ?? null, s.reuse_sys_cve_allowlist ?? null, s.require_signature ?? null],
  );
}

export interface MemberRow {
  id: number;
  user_id: number | null;
  group_id: number | null;
  /** The user's name or the group's. */
  entity_name: string;
  role_id: number;
}

const memberFrom = `FROM project_members m LEFT JOIN users u ON u.id = m.user_id LEFT JOIN user_groups g ON g.id = m.group_id`;
const memberColumns = 'm.id, m.user_id, m.group_id, COALESCE(u.username, g.group_name) AS entity_name, m.role_id';

/** One page of a project's members, users and groups (by name), and how many match in all. */
export async function listMembers(
  q: Queryer,
  projectId: number,
  nameContains: string | undefined,
  limit: number,
  offset: number,
): Promise<{ rows: MemberRow[]; total: number }> {
  const from = `${memberFrom} WHERE m.project_id = $1 AND ($2::text IS NULL OR strpos(COALESCE(u.username, g.group_name), $2) > 0)`;
  const params = [projectId, nameContains ?? null];
  const total = (await q.query<{ n: number }>(`SELECT count(*)::int AS n ${from}`, params)).rows[0].n;
  const { rows } = await q.query<MemberRow>(`SELECT ${memberColumns} ${from} ORDER BY m.group_id IS NOT NULL, 4, m.id LIMIT $3 OFFSET $4`, [
    ...params,
    limit,
    offset,
  ]);
  return { rows, total };
}

export async function findMember(q: Queryer, projectId: number, memberId: number): Promise<MemberRow | undefined> {
  const { rows } = await q.query<MemberRow>(`SELECT ${memberColumns} ${memberFrom} WHERE m.project_id = $1 AND m.id = $2`, [projectId, memberId]);
  return rows[0];
}

export async function updateMemberRole(q: Queryer, projectId: number, memberId: number, roleId: number): Promise<boolean> {
  const res = await q.query('UPDATE project_members SET role_id = $3 WHERE project_id = $1 AND id = $2', [projectId, memberId, roleId]);
  return res.rowCount > 0;
}

export async function removeMember(q: Queryer, projectId: number, memberId: number): Promise<boolean> {
  const res = await q.query('DELETE FROM project_members WHERE project_id = $1 AND id = $2', [projectId, memberId]);
  return res.rowCount > 0;
}

/** Gives a project without an owner to this user. */
export async function adoptOwnerless(q: Queryer, name: string, ownerId: number): Promise<void> {
  await q.query('UPDATE projects SET owner_id = $2 WHERE name = $1 AND owner_id IS NULL', [name, ownerId]);
}

/** How many repositories a project holds (Harbor's repo_count). */
export async function countRepositoriesIn(q: Queryer, projectName: string): Promise<number> {
  return (await q.query<{ n: number }>('SELECT count(*)::int AS n FROM repositories WHERE name LIKE $1', [projectRepositoriesPattern(projectName)])).rows[0].n;
}

export async function projectSummaryCounts(q: Queryer, projectId: number, projectName: string): Promise<{ repo_count: number; roles: Record<number, number> }> {
  const repos = await countRepositoriesIn(q, projectName);
  const { rows } = await q.query<{ role_id: number; n: number }>(
    'SELECT role_id, count(*)::int AS n FROM project_members WHERE project_id = $1 GROUP BY role_id',
    [projectId],
  );
  return { repo_count: repos, roles: Object.fromEntries(rows.map((r) => [r.role_id, r.n])) };
}
