// Upload sessions (docs/design/0001-upload-sessions.md). Each PATCH streams into a new
// chunk object while hashing it, then commits with one conditional UPDATE, so no lock is
// held while a body streams, racing requests cannot interleave bytes, and a session lives
// only in the database and the blob store: any worker or server may take the next chunk,
// and a killed process leaves at most an orphan chunk that no row points to.
import { randomBytes, randomUUID } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { findBlob, findRepositoryBlob, saveBlob, saveRepositoryBlob } from '../db/blobs.js';
import { saveRepository } from '../db/repositories.js';
import {
  appendUploadChunk,
  findUpload,
  listExistingUploadIds,
  removeStaleUploads,
  removeUpload,
  saveUpload,
  type UploadRow,
} from '../db/uploads.js';
import { ObjectNotFoundError } from '../storage/blobStore.js';
import { blobKey, isUploadId, uploadChunkKey, uploadIdOfKey, uploadPrefix, uploadsPrefix } from '../storage/keys.js';
import { chargeBlob } from '../projects/quotas.js';
import type { RegistryDeps } from './deps.js';
import { RegistryError } from './errors.js';
import { HashingStream } from './hashing.js';
import { assertDigest, assertName, isValidName, type ParsedDigest } from './references.js';

export interface UploadState {
  id: string;
  repository: string;
  /** Bytes committed so far: the next chunk starts here. */
  offset: number;
}

export interface ContentRange {
  start: number;
  end: number; // inclusive
}

export async function startUpload(deps: RegistryDeps, repository: string): Promise<UploadState> {
  assertName(repository);
  const id = randomUUID();
  await saveUpload(deps.db, id, repository);
  return { id, repository, offset: 0 };
}

/**
 * Cross-repository mount: links a blob `from` holds into `repository` without moving bytes.
 * Returns undefined when `from` does not hold it (the caller then starts a normal upload).
 */
export async function mountBlob(deps: RegistryDeps, repository: string, digest: string, from: string): Promise<{ digest: string } | undefined> {
  assertName(repository);
  const parsed = assertDigest(digest);
  if (!isValidName(from)) return undefined;
  return deps.db.tx(async (q) => {
    const source = await findRepositoryBlob(q, from, parsed.digest);
    if (source.size === undefined) return undefined;
    await chargeBlob(q, repository, parsed.digest, source.size);
    const repositoryId = await saveRepository(q, repository);
    await saveRepositoryBlob(q, repositoryId, parsed.digest);
    return { digest: parsed.digest };
  });
}

/** POST ?digest= with the whole blob as the body: one request, one session that never outlives it. */
export async function uploadMonolithic(deps: RegistryDeps, repository: string, digest: string, body?: Readable): Promise<{ digest: string; size: number }> {
  assertName(repository);
  assertDigest(digest); // before a session row or any byte is written
  const session = await startUpload(deps, repository);
  try {
    return await finishUpload(deps, repository, session.id, digest, body);
  } catch (err) {
    await cancelUpload(deps, repository, session.id).catch(() => undefined);
    throw err;
  }
}

async function loadSession(deps: RegistryDeps, repository: string, id: string): Promise<UploadRow> {
  assertName(repository);
  const row = isUploadId(id) ? await findUpload(deps.db, id) : undefined;
  if (!row || row.repository !== repository) {
    throw new RegistryError('BLOB_UPLOAD_UNKNOWN', `upload ${id.slice(0, 100)} unknown to repository ${repository}`, { uuid: id.slice(0, 100) });
  }
  return row;
}

function rangeError(message: string, row: Pick<UploadRow, 'id' | 'repository' | 'committed_size'>): RegistryError {
  return new RegistryError('BLOB_UPLOAD_INVALID', message, { offset: row.committed_size }, {
    status: 416,
    headers: uploadHeaders({ id: row.id, repository: row.repository, offset: row.committed_size }),
  });
}

/** Headers that tell a client where a session stands (shared by every upload response). */
export function uploadHeaders(s: UploadState): Record<string, string> {
  return {
    Location: `/v2/${s.repository}/blobs/uploads/${s.id}`,
    // Distribution's convention: "0-0" for an empty session, else the last byte's offset.
    Range: `0-${Math.max(s.offset - 1, 0)}`,
    'Docker-Upload-UUID': s.id,
  };
}

export async function uploadStatus(deps: RegistryDeps, repository: string, id: string): Promise<UploadState> {
  const row = await loadSession(deps, repository, id);
  return { id, repository, offset: row.committed_size };
}

/** Streams one chunk into the session. `range` is the request's Content-Range, if any. */
export async function appendChunk(deps: RegistryDeps, repository: string, id: string, body: Readable, range?: ContentRange): Promise<UploadState> {
  const row = await loadSession(deps, repository, id);
  return appendToSession(deps, row, body, range);
}

async function appendToSession(deps: RegistryDeps, row: UploadRow, body: Readable, range?: ContentRange): Promise<UploadState> {
  const start = row.committed_size;
  if (range && range.start !== start) {
    throw rangeError(`chunk starts at ${range.start} but the upload has ${start} bytes; continue at ${start}`, row);
  }
  const key = uploadChunkKey(row.id, start, randomBytes(6).toString('hex'));
  const writer = await deps.store.writer(key);
  const hasher = new HashingStream('sha256');
  try {
    await pipeline(body, hasher, writer.stream);
  } catch (err) {
    await writer.cancel();
    throw err;
  }
  const size = hasher.bytes;
  if (range && range.end - range.start + 1 !== size) {
    await writer.cancel();
    throw new RegistryError('SIZE_INVALID', `Content-Range ${range.start}-${range.end} announces ${range.end - range.start + 1} bytes but the body had ${size}`, {
      announced: range.end - range.start + 1,
      received: size,
    });
  }
  if (size === 0) {
    await writer.cancel();
    return { id: row.id, repository: row.repository, offset: start };
  }
  await writer.commit();
  if (!(await appendUploadChunk(deps.db, row.id, start, { key, size, sha256: hasher.hex() }))) {
    // Another request moved the session (or ended it) while this body streamed.
    await deps.store.delete(key);
    const now = await findUpload(deps.db, row.id);
    if (!now) {
      await deps.store.deletePrefix(uploadPrefix(row.id));
      throw new RegistryError('BLOB_UPLOAD_UNKNOWN', `upload ${row.id} ended while this chunk was being received`, { uuid: row.id });
    }
    throw rangeError(`upload moved to ${now.committed_size} bytes while this chunk was being received`, now);
  }
  return { id: row.id, repository: row.repository, offset: start + size };
}

/**
 * Finishes the session: appends the final chunk if any, verifies the digest, makes the
 * blob durable at its content-addressed key, then (only then) records and links it.
 */
export async function finishUpload(
  deps: RegistryDeps,
  repository: string,
  id: string,
  digest: string,
  body?: Readable,
  range?: ContentRange,
): Promise<{ digest: string; size: number }> {
  const parsed = assertDigest(digest); // before touching the body or storage
  let row = await loadSession(deps, repository, id);
  if (body) {
    await appendToSession(deps, row, body, range);
    row = await loadSession(deps, repository, id);
  }
  const size = await assembleBlob(deps, row, parsed);
  await deps.db.tx(async (q) => {
    await saveBlob(q, parsed.digest, size);
    await chargeBlob(q, repository, parsed.digest, size);
    const repositoryId = await saveRepository(q, repository);
    await saveRepositoryBlob(q, repositoryId, parsed.digest);
    await removeUpload(q, id);
  });
  await deps.store.deletePrefix(uploadPrefix(id));
  return { digest: parsed.digest, size };
}

async function assembleBlob(deps: RegistryDeps, row: UploadRow, digest: ParsedDigest): Promise<number> {
  const key = blobKey(digest);
  const only = row.chunks.length === 1 ? row.chunks[0] : undefined;
  // Fast path (docker's push: one PATCH then PUT): the chunk's own hash is the blob's.
  if (only && digest.algorithm === 'sha256') {
    if (only.sha256 !== digest.hex) throw mismatch(digest, row);
    if (!(await deps.store.stat(key))) {
      try {
        await deps.store.move(only.key, key);
      } catch (err) {
        // A concurrent finish of this same session moved it first: fine if the blob is there.
        if (!(err instanceof ObjectNotFoundError) || !(await deps.store.stat(key))) throw err;
      }
    }
    return only.size;
  }
  const known = (await findBlob(deps.db, digest.digest)) && (await deps.store.stat(key));
  const hasher = new HashingStream(digest.algorithm);
  const chunks = row.chunks;
  const source = Readable.from(
    (async function* () {
      for (const chunk of chunks) yield* await deps.store.read(chunk.key);
    })(),
    { objectMode: false },
  );
  if (known) {
    // The bytes are already stored: verify what the client sent without writing it again.
    await pipeline(source, hasher, new Writable({ write: (_c, _e, cb) => cb() }));
    if (hasher.hex() !== digest.hex) throw mismatch(digest, row);
    return hasher.bytes;
  }
  const writer = await deps.store.writer(key);
  try {
    await pipeline(source, hasher, writer.stream);
    if (hasher.hex() !== digest.hex) throw mismatch(digest, row);
    await writer.commit();
  } finally {
    await writer.cancel(); // no-op after commit
  }
  return hasher.bytes;
}

function mismatch(digest: ParsedDigest, row: UploadRow): RegistryError {
  return new RegistryError('DIGEST_INVALID', `uploaded content (${row.committed_size} bytes) does not match digest ${digest.digest}`, {
    digest: digest.digest,
  });
}

export async function cancelUpload(deps: RegistryDeps, repository: string, id: string): Promise<void> {
  await loadSession(deps, repository, id);
  await removeUpload(deps.db, id);
  await deps.store.deletePrefix(uploadPrefix(id));
}

/** Removes sessions idle longer than maxAgeMs, chunk objects whose session is gone, and writers' leftovers. */
export async function purgeUploads(deps: RegistryDeps, maxAgeMs: number): Promise<{ sessions: number; orphans: number; temporary: number }> {
  const stale = await removeStaleUploads(deps.db, maxAgeMs);
  for (const id of stale) await deps.store.deletePrefix(uploadPrefix(id));
  const seen = new Set<string>();
  for await (const key of deps.store.list(uploadsPrefix)) {
    const id = uploadIdOfKey(key);
    if (id) seen.add(id);
  }
  const live = await listExistingUploadIds(deps.db, [...seen]);
  let orphans = 0;
  for (const id of seen) {
    if (live.has(id)) continue;
    await deps.store.deletePrefix(uploadPrefix(id));
    orphans++;
  }
  const temporary = (await deps.store.purgeTemporary?.(maxAgeMs)) ?? 0;
  return { sessions: stale.length, orphans, temporary };
}
