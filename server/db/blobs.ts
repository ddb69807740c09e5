import type { Queryer } from './database.js';

/**
 * Makes sure the blob's row exists and holds it (FOR KEY SHARE) until the transaction ends,
 * so garbage collection, which takes the row FOR UPDATE, cannot delete it or its bytes
 * meanwhile. When the collector deleted the row while this waited, it is made again.
 */
export async function claimBlob(q: Queryer, digest: string, size: number): Promise<void> {
  for (;;) {
    await q.query('INSERT INTO blobs (digest, size) VALUES ($1, $2) ON CONFLICT ON CONSTRAINT pk_blobs DO NOTHING', [digest, size]);
    if (await lockBlob(q, digest)) return;
  }
}

/** Holds an existing blob row against garbage collection until the transaction ends. */
export async function lockBlob(q: Queryer, digest: string): Promise<boolean> {
  const { rows } = await q.query('SELECT 1 FROM blobs WHERE digest = $1 FOR KEY SHARE', [digest]);
  return rows.length > 0;
}

export async function findBlob(q: Queryer, digest: string): Promise<{ size: number } | undefined> {
  const { rows } = await q.query<{ size: number }>('SELECT size FROM blobs WHERE digest = $1', [digest]);
  return rows[0];
}

export async function saveRepositoryBlob(q: Queryer, repositoryId: number, digest: string): Promise<void> {
  await q.query('INSERT INTO repository_blobs (repository_id, digest) VALUES ($1, $2) ON CONFLICT ON CONSTRAINT pk_repository_blobs DO NOTHING', [
    repositoryId,
    digest,
  ]);
}

/** The blob's size if the named repository holds it; `repository` tells whether the repository exists at all. */
export async function findRepositoryBlob(q: Queryer, repositoryName: string, digest: string): Promise<{ repository: boolean; size?: number }> {
  const { rows } = await q.query<{ size: number | null }>(
    `SELECT b.size
       FROM repositories r
       LEFT JOIN repository_blobs rb ON rb.repository_id = r.id AND rb.digest = $2
       LEFT JOIN blobs b ON b.digest = rb.digest
      WHERE r.name = $1`,
    [repositoryName, digest],
  );
  if (!rows.length) return { repository: false };
  return { repository: true, size: rows[0].size ?? undefined };
}

export async function removeRepositoryBlob(q: Queryer, repositoryId: number, digest: string): Promise<boolean> {
  const res = await q.query('DELETE FROM repository_blobs WHERE repository_id = $1 AND digest = $2', [repositoryId, digest]);
  return res.rowCount > 0;
}

/**
 * Which of `digests` the repository holds. Locks the link rows (FOR SHARE) so a concurrent
 * blob delete cannot remove a link a manifest being saved in this transaction relies on.
 */
export async function lockRepositoryBlobs(q: Queryer, repositoryId: number, digests: string[]): Promise<Set<string>> {
  if (!digests.length) return new Set();
  const { rows } = await q.query<{ digest: string }>('SELECT digest FROM repository_blobs WHERE repository_id = $1 AND digest = ANY($2::text[]) FOR SHARE', [
    repositoryId,
    digests,
  ]);
  return new Set(rows.map((r) => r.digest));
}
