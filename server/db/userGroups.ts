import type { Queryer } from './database.js';

/** Harbor's group types. */
export const groupTypes = { ldap: 1, oidc: 3 } as const;
export type GroupType = (typeof groupTypes)[keyof typeof groupTypes];

export interface UserGroupRow {
  id: number;
  group_name: string;
  group_type: GroupType;
  ldap_group_dn: string | null;
  created_at: Date;
  updated_at: Date;
}

const columns = 'id, group_name, group_type, ldap_group_dn, created_at, updated_at';

export async function findUserGroup(q: Queryer, id: number): Promise<UserGroupRow | undefined> {
  const { rows } = await q.query<UserGroupRow>(`SELECT ${columns} FROM user_groups WHERE id = $1`, [id]);
  return rows[0];
}

export async function findLdapGroupByDn(q: Queryer, dn: string): Promise<UserGroupRow | undefined> {
  const { rows } = await q.query<UserGroupRow>(`SELECT ${columns} FROM user_groups WHERE group_type = 1 AND lower(ldap_group_dn) = lower($1)`, [dn]);
  return rows[0];
}

export async function findOidcGroupByName(q: Queryer, name: string): Promise<UserGroupRow | undefined> {
  const { rows } = await q.query<UserGroupRow>(`SELECT ${columns} FROM user_groups WHERE group_type = 3 AND group_name = $1`, [name]);
  return rows[0];
}

/** Inserts a group; undefined when one with the same DN (LDAP) or name (OIDC) exists. */
export async function saveUserGroup(q: Queryer, g: { name: string; type: GroupType; dn: string | null }): Promise<UserGroupRow | undefined> {
  const { rows } = await q.query<UserGroupRow>(
    `INSERT INTO user_groups (group_name, group_type, ldap_group_dn) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING ${columns}`,
    [g.name, g.type, g.dn],
  );
  return rows[0];
}

/** The group with this DN (LDAP) or name (OIDC). */
export function findUserGroupBy(q: Queryer, type: GroupType, g: { name: string; dn: string | null }): Promise<UserGroupRow | undefined> {
  return type === groupTypes.ldap ? findLdapGroupByDn(q, g.dn!) : findOidcGroupByName(q, g.name);
}

/** The group with this DN (LDAP) or name (OIDC), created if missing (a concurrent creation is found). */
export async function ensureUserGroup(q: Queryer, type: GroupType, g: { name: string; dn: string | null }): Promise<UserGroupRow | undefined> {
  return (await findUserGroupBy(q, type, g)) ?? (await saveUserGroup(q, { ...g, type })) ?? (await findUserGroupBy(q, type, g));
}

/**
 * The ids of the groups with these DNs (LDAP) or names (OIDC), creating the missing ones
 * (Harbor onboards a user's groups at login, so an administrator finds them to add).
 */
export async function ensureUserGroups(q: Queryer, type: GroupType, groups: Array<{ name: string; dn: string | null }>): Promise<number[]> {
  const ids: number[] = [];
  for (const g of groups) {
    const row = await ensureUserGroup(q, type, g);
    if (row) ids.push(row.id);
  }
  return ids;
}

export interface UserGroupFilter {
  type?: GroupType;
  nameContains?: string;
  dn?: string;
}

export async function listUserGroups(q: Queryer, f: UserGroupFilter, limit: number, offset: number): Promise<{ rows: UserGroupRow[]; total: number }> {
  const where = `WHERE ($1::smallint IS NULL OR group_type = $1) AND ($2::text IS NULL OR strpos(lower(group_name), lower($2)) > 0)
    AND ($3::text IS NULL OR lower(ldap_group_dn) = lower($3))`;
  const params = [f.type ?? null, f.nameContains ?? null, f.dn ?? null];
  const total = (await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM user_groups ${where}`, params)).rows[0].n;
  const { rows } = await q.query<UserGroupRow>(`SELECT ${columns} FROM user_groups ${where} ORDER BY group_name, id LIMIT $4 OFFSET $5`, [
    ...params,
    limit,
    offset,
  ]);
  return { rows, total };
}

export async function renameUserGroup(q: Queryer, id: number, name: string): Promise<boolean> {
  const res = await q.query('UPDATE user_groups SET group_name = $2, updated_at = now() WHERE id = $1', [id, name]);
  return res.rowCount > 0;
}

export async function removeUserGroup(q: Queryer, id: number): Promise<boolean> {
  const res = await q.query('DELETE FROM user_groups WHERE id = $1', [id]);
  return res.rowCount > 0;
}

/** Replaces the groups a user is in with exactly these. */
export async function replaceGroupMemberships(q: Queryer, userId: number, groupIds: number[]): Promise<void> {
  await q.query('DELETE FROM user_group_memberships WHERE user_id = $1 AND NOT (group_id = ANY($2::bigint[]))', [userId, groupIds]);
  await q.query(
    `INSERT INTO user_group_memberships (user_id, group_id) SELECT $1, unnest($2::bigint[])
     ON CONFLICT ON CONSTRAINT pk_user_group_memberships DO NOTHING`,
    [userId, groupIds],
  );
}

export async function listGroupIdsOfUser(q: Queryer, userId: number): Promise<number[]> {
  const { rows } = await q.query<{ group_id: number }>('SELECT group_id FROM user_group_memberships WHERE user_id = $1 ORDER BY group_id', [userId]);
  return rows.map((r) => Number(r.group_id));
}
