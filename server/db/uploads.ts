import type { StoredPart } from '../storage/blobStore.js';
import type { Queryer } from './database.js';

export interface UploadChunk {
  /** The chunk's own object; absent when its bytes went into the session's parts. */
  key?: string;
  size: number;
  /** sha256 hex of this chunk alone; equals the blob's digest when it is the only chunk. */
  sha256: string;
}

/** Bytes short of a part, stored as an object of their own until more arrive. */
export interface UploadTail {
  key: string;
  size: number;
}

export interface UploadRow {
  id: string;
  repository: string;
  committed_size: number;
  chunks: UploadChunk[];
  /** On a store that writes in parts: its upload id, the parts so far, and the tail. */
  multipart_id: string | null;
  parts: StoredPart[];
  tail: UploadTail | null;
}

/** What a chunk adds to a session that writes in parts. */
export interface PartsAppend {
  parts: StoredPart[];
  tail: UploadTail | null;
}

export async function saveUpload(q: Queryer, id: string, repository: string): Promise<void> {
  await q.query('INSERT INTO uploads (id, repository) VALUES ($1, $2)', [id, repository]);
}

export async function findUpload(q: Queryer, id: string): Promise<UploadRow | undefined> {
  const { rows } = await q.query<UploadRow>('SELECT id, repository, committed_size, chunks, multipart_id, parts, tail FROM uploads WHERE id = $1', [id]);
  return rows[0];
}

/**
 * Appends a chunk only if nobody else moved the session since `expectedSize` was read
 * (optimistic concurrency: no lock is held while a body streams). False means it lost.
 */
export async function appendUploadChunk(
  q: Queryer,
  id: string,
  expectedSize: number,
  chunk: UploadChunk,
  parted: PartsAppend = { parts: [], tail: null },
): Promise<boolean> {
  const res = await q.query(
    `UPDATE uploads SET committed_size = committed_size + $3, chunks = chunks || $4::jsonb, parts = parts || $5::jsonb, tail = $6::jsonb, updated_at = now()
      WHERE id = $1 AND committed_size = $2`,
    [id, expectedSize, chunk.size, JSON.stringify([chunk]), JSON.stringify(parted.parts), parted.tail && JSON.stringify(parted.tail)],
  );
  return res.rowCount > 0;
}

/**
 * Hands out the session's next part number. Numbers are never reused, so two requests
 * racing on one offset never overwrite each other's parts; undefined when the session is gone.
 */
export async function nextPartNumber(q: Queryer, id: string): Promise<number | undefined> {
  const { rows } = await q.query<{ part_seq: number }>('UPDATE uploads SET part_seq = part_seq + 1 WHERE id = $1 RETURNING part_seq', [id]);
  return rows[0]?.part_seq;
}

/** Records the store's upload id unless another request did first; returns the one that holds. */
export async function claimMultipartId(q: Queryer, id: string, multipartId: string): Promise<string | undefined> {
  const claimed = await q.query<{ multipart_id: string }>(
    'UPDATE uploads SET multipart_id = $2 WHERE id = $1 AND multipart_id IS NULL RETURNING multipart_id',
    [id, multipartId],
  );
  if (claimed.rows[0]) return claimed.rows[0].multipart_id;
  // A statement of its own: one snapshot with the UPDATE would predate the winner's commit
  // the UPDATE waited for, and read the id as still unset.
  const { rows } = await q.query<{ multipart_id: string | null }>('SELECT multipart_id FROM uploads WHERE id = $1', [id]);
  return rows[0]?.multipart_id ?? undefined;
}

/** Deletes the session; returns the store's upload id it held (null if none), or undefined if it was gone. */
export async function removeUpload(q: Queryer, id: string): Promise<{ multipart_id: string | null } | undefined> {
  const { rows } = await q.query<{ multipart_id: string | null }>('DELETE FROM uploads WHERE id = $1 RETURNING multipart_id', [id]);
  return rows[0];
}

/** Deletes sessions idle for longer than maxAgeMs; returns their ids and store upload ids. */
export async function removeStaleUploads(q: Queryer, maxAgeMs: number): Promise<{ id: string; multipart_id: string | null }[]> {
  const { rows } = await q.query<{ id: string; multipart_id: string | null }>(
    `DELETE FROM uploads WHERE updated_at < now() - ($1::bigint * interval '1 millisecond') RETURNING id, multipart_id`,
    [maxAgeMs],
  );
  return rows;
}

export async function listExistingUploadIds(q: Queryer, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const { rows } = await q.query<{ id: string }>('SELECT id::text AS id FROM uploads WHERE id = ANY($1::uuid[])', [ids]);
  return new Set(rows.map((r) => r.id));
}
