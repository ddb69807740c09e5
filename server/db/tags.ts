import type { Queryer } from './database.js';

export async function saveTag(q: Queryer, repositoryId: number, name: string, manifestId: number): Promise<void> {
  await q.query(
    `INSERT INTO tags (repository_id, name, manifest_id) VALUES ($1, $2, $3)
     ON CONFLICT ON CONSTRAINT pk_tags DO UPDATE SET manifest_id = EXCLUDED.manifest_id, updated_at = now()`,
    [repositoryId, name, manifestId],
  );
}

export async function removeTag(q: Queryer, repositoryId: number, name: string): Promise<boolean> {
  const res = await q.query('DELETE FROM tags WHERE repository_id = $1 AND name = $2', [repositoryId, name]);
  return res.rowCount > 0;
}

/** Tag names in byte order after `last`, at most `limit`. */
export async function listTagNames(q: Queryer, repositoryId: number, last: string | undefined, limit: number): Promise<string[]> {
  const { rows } = await q.query<{ name: string }>('SELECT name FROM tags WHERE repository_id = $1 AND name > $2 ORDER BY name LIMIT $3', [
    repositoryId,
    last ?? '',
    limit,
  ]);
  return rows.map((r) => r.name);
}

/** The manifest a tag points at, its row locked so two writes of the tag take turns. */
export async function lockTag(q: Queryer, repositoryId: number, name: string): Promise<number | undefined> {
  const { rows } = await q.query<{ manifest_id: number }>('SELECT manifest_id FROM tags WHERE repository_id = $1 AND name = $2 FOR UPDATE', [
    repositoryId,
    name,
  ]);
  return rows[0] ? Number(rows[0].manifest_id) : undefined;
}

export async function tagNamesOf(q: Queryer, repositoryId: number, digest: string): Promise<string[]> {
  const { rows } = await q.query<{ name: string }>(
    'SELECT t.name FROM tags t JOIN manifests m ON m.id = t.manifest_id WHERE m.repository_id = $1 AND m.digest = $2 ORDER BY t.name',
    [repositoryId, digest],
  );
  return rows.map((r) => r.name);
}
