import { projectRepositoriesPattern, type Queryer } from './database.js';
import { memberRolesJoin } from './projects.js';

export async function findRepositoryId(q: Queryer, name: string): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>('SELECT id FROM repositories WHERE name = $1', [name]);
  return rows[0]?.id;
}

/** Returns the repository's id, creating the row if needed (safe under concurrency). */
export async function saveRepository(q: Queryer, name: string): Promise<number> {
  const existing = await findRepositoryId(q, name);
  if (existing !== undefined) return existing;
  const { rows } = await q.query<{ id: number }>(
    'INSERT INTO repositories (name) VALUES ($1) ON CONFLICT ON CONSTRAINT uq_repositories_name DO NOTHING RETURNING id',
    [name],
  );
  return rows[0]?.id ?? (await findRepositoryId(q, name))!;
}

/** Repository names in byte order after `last`, at most `limit`. */
export async function listRepositoryNames(q: Queryer, last: string | undefined, limit: number): Promise<string[]> {
  const { rows } = await q.query<{ name: string }>('SELECT name FROM repositories WHERE name > $1 ORDER BY name LIMIT $2', [last ?? '', limit]);
  return rows.map((r) => r.name);
}

export interface RepositoryRow {
  id: number;
  name: string;
  description: string;
  created_at: Date;
  updated_at: Date | null;
  artifact_count: number;
  pull_count: number;
}

const repositoryColumns = `r.id, r.name, r.description, r.created_at, r.pull_count,
  (SELECT max(m.created_at) FROM manifests m WHERE m.repository_id = r.id) AS updated_at,
  (SELECT count(*)::int FROM manifests m WHERE m.repository_id = r.id) AS artifact_count`;

/** One page of a project's repositories (by name prefix), newest activity first, and the total. */
export async function listProjectRepositories(
  q: Queryer,
  projectName: string,
  nameContains: string | undefined,
  limit: number,
  offset: number,
): Promise<{ rows: RepositoryRow[]; total: number }> {
  const prefix = projectRepositoriesPattern(projectName);
  const where = `r.name LIKE $1 AND ($2::text IS NULL OR strpos(r.name, $2) > 0)`;
  const total = (await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM repositories r WHERE ${where}`, [prefix, nameContains ?? null])).rows[0].n;
  const { rows } = await q.query<RepositoryRow>(`SELECT ${repositoryColumns} FROM repositories r WHERE ${where} ORDER BY r.name LIMIT $3 OFFSET $4`, [
    prefix,
    nameContains ?? null,
    limit,
    offset,
  ]);
  return { rows, total };
}

/**
 * One page of every repository whose project the user may see (public ones and their own;
 * every one for `visibleTo` undefined), by name, with each one's project id, and the total.
 */
export async function listVisibleRepositories(
  q: Queryer,
  visibleTo: number | null | undefined,
  nameContains: string | undefined,
  limit: number,
  offset: number,
): Promise<{ rows: Array<RepositoryRow & { project_id: number }>; total: number }> {
  const from = `FROM repositories r JOIN projects p ON starts_with(r.name, p.name || '/')
    ${memberRolesJoin('$1::bigint')}
    WHERE ($2::boolean OR p.public OR mr.role_ids IS NOT NULL) AND ($3::text IS NULL OR strpos(r.name, $3) > 0)`;
  const params = [visibleTo ?? null, visibleTo === undefined, nameContains ?? null];
  const total = (await q.query<{ n: number }>(`SELECT count(*)::int AS n ${from}`, params)).rows[0].n;
  const { rows } = await q.query<RepositoryRow & { project_id: number }>(
    `SELECT ${repositoryColumns}, p.id AS project_id ${from} ORDER BY r.name LIMIT $4 OFFSET $5`,
    [...params, limit, offset],
  );
  return { rows, total };
}

export async function updateRepositoryDescription(q: Queryer, id: number, description: string): Promise<void> {
  await q.query('UPDATE repositories SET description = $2 WHERE id = $1', [id, description]);
}

export async function findRepository(q: Queryer, name: string): Promise<RepositoryRow | undefined> {
  const { rows } = await q.query<RepositoryRow>(`SELECT ${repositoryColumns} FROM repositories r WHERE r.name = $1`, [name]);
  return rows[0];
}

/** Deletes the repository with its manifests, tags and blob links (blob bytes wait for GC). */
export async function removeRepository(q: Queryer, id: number): Promise<void> {
  await q.query('DELETE FROM uploads WHERE repository = (SELECT name FROM repositories WHERE id = $1)', [id]);
  await q.query('DELETE FROM repositories WHERE id = $1', [id]);
}

/** Every repository name, for a push rule's name filter. */
export async function allRepositoryNames(q: Queryer): Promise<string[]> {
  const { rows } = await q.query<{ name: string }>('SELECT name FROM repositories ORDER BY name', []);
  return rows.map((r) => r.name);
}
