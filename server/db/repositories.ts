import type { Queryer } from './database.js';

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
  const { rows } = await q.query<{ name: string }>(
    'SELECT name FROM repositories WHERE name > $1 ORDER BY name LIMIT $2',
    [last ?? '', limit],
  );
  return rows.map((r) => r.name);
}
