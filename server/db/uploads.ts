import type { Queryer } from './database.js';

export interface UploadChunk {
  key: string;
  size: number;
  /** sha256 hex of this chunk alone; equals the blob's digest when it is the only chunk. */
  sha256: string;
}

export interface UploadRow {
  id: string;
  repository: string;
  committed_size: number;
  chunks: UploadChunk[];
}

export async function saveUpload(q: Queryer, id: string, repository: string): Promise<void> {
  await q.query('INSERT INTO uploads (id, repository) VALUES ($1, $2)', [id, repository]);
}

export async function findUpload(q: Queryer, id: string): Promise<UploadRow | undefined> {
  const { rows } = await q.query<UploadRow>('SELECT id, repository, committed_size, chunks FROM uploads WHERE id = $1', [id]);
  return rows[0];
}

/**
 * Appends a chunk only if nobody else moved the session since `expectedSize` was read
 * (optimistic concurrency: no lock is held while a body streams). False means it lost.
 */
export async function appendUploadChunk(q: Queryer, id: string, expectedSize: number, chunk: UploadChunk): Promise<boolean> {
  const res = await q.query(
    `UPDATE uploads SET committed_size = committed_size + $3, chunks = chunks || $4::jsonb, updated_at = now()
      WHERE id = $1 AND committed_size = $2`,
    [id, expectedSize, chunk.size, JSON.stringify([chunk])],
  );
  return res.rowCount > 0;
}

export async function removeUpload(q: Queryer, id: string): Promise<boolean> {
  const res = await q.query('DELETE FROM uploads WHERE id = $1', [id]);
  return res.rowCount > 0;
}

/** Deletes sessions idle for longer than maxAgeMs and returns their ids. */
export async function removeStaleUploads(q: Queryer, maxAgeMs: number): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `DELETE FROM uploads WHERE updated_at < now() - ($1::bigint * interval '1 millisecond') RETURNING id`,
    [maxAgeMs],
  );
  return rows.map((r) => r.id);
}

export async function listExistingUploadIds(q: Queryer, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const { rows } = await q.query<{ id: string }>('SELECT id::text AS id FROM uploads WHERE id = ANY($1::uuid[])', [ids]);
  return new Set(rows.map((r) => r.id));
}
