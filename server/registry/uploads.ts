// Upload sessions (docs/design/0001-upload-sessions.md). Each PATCH streams into a new
// chunk object while hashing it, then commits with one conditional UPDATE, so no lock is
// held while a body streams, racing requests cannot interleave bytes, and a session lives
// only in the database and the blob store: any worker or server may take the next chunk,
// and a killed process leaves at most an orphan chunk that no row points to.
import { randomBytes, randomUUID } from 'node:crypto';
import { pipeline as pipelineCb, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { claimBlob, findBlob, findRepositoryBlob, lockBlob, saveRepositoryBlob } from '../db/blobs.js';
import { saveRepository } from '../db/repositories.js';
import {
  appendUploadChunk,
  findUpload,
  listExistingUploadIds,
  removeStaleUploads,
  removeUpload,
  saveUpload,
  type PartsAppend,
  type UploadRow,
} from '../db/uploads.js';
import { ObjectNotFoundError } from '../storage/blobStore.js';
import { blobKey, isUploadId, uploadAssemblyKey, uploadChunkKey, uploadIdOfKey, uploadPrefix, uploadsPrefix } from '../storage/keys.js';
import { chargeBlob } from './quota.js';
import type { RegistryDeps } from './deps.js';
import { RegistryError } from '../lib/registryErrors.js';
import { HashingStream, pipeHashed } from './hashing.js';
import { abortParts, appendParts, assembleParts, sessionEnded, writesInParts } from './partedUploads.js';
import { assertDigest, assertName, isValidName, type ParsedDigest } from '../lib/references.js';

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
    // NOTE: the blob row first, as an upload's finish takes it: garbage collection cannot
    // delete the bytes between the check of the source's link and the new link.
    if (!(await lockBlob(q, parsed.digest))) return undefined;
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
  return new RegistryError(
    'BLOB_UPLOAD_INVALID',
    message,
    { offset: row.committed_size },
    {
      status: 416,
      headers: uploadHeaders({ id: row.id, repository: row.repository, offset: row.committed_size }),
    },
  );
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
  const store = deps.store;
  // What the body held: its size and SHA-256, known once it has streamed.
  let received: { bytes: number; hex(): string };
  // The chunk becomes an object of its own, or (on a store that writes in parts) its bytes
  // go into the session's parts. `stored` undoes or keeps what this request wrote.
  let stored: { key?: string; parted?: PartsAppend; discard(): Promise<void>; keep(): Promise<void> };
  if (writesInParts(store)) {
    const hasher = new HashingStream('sha256');
    received = hasher;
    // The callback form of pipeline hands back the hasher with the body's errors passed on.
    const parted = await appendParts(
      deps,
      store,
      row,
      pipelineCb(body, hasher, () => undefined),
    ).catch(async (err: unknown) => {
      // A missing tail was consumed by a request that moved the session after this one read
      // it (a window of milliseconds); a tail missing from an unmoved session is a real error.
      if (!(err instanceof ObjectNotFoundError)) throw err;
      const now = await findUpload(deps.db, row.id);
      throw now?.committed_size === row.committed_size ? err : await sessionMoved(deps, row.id, now);
    });
    const tail = parted.tail;
    stored = { parted, discard: async () => void (tail && (await store.delete(tail.key))), keep: async () => undefined };
  } else {
    const key = uploadChunkKey(row.id, start, randomBytes(6).toString('hex'));
    const writer = await store.writer(key);
    try {
      const { hex, bytes } = await pipeHashed(body, writer.stream);
      received = { bytes, hex: () => hex };
    } catch (err) {
      await writer.cancel();
      throw err;
    }
    // Before commit the cancel drops the bytes, after it the delete does.
    const discard = async () => {
      await writer.cancel();
      await store.delete(key);
    };
    stored = { key, discard, keep: async () => void (await writer.commit()) };
  }
  const size = received.bytes;
  if (range && range.end - range.start + 1 !== size) {
    await stored.discard();
    throw new RegistryError(
      'SIZE_INVALID',
      `Content-Range ${range.start}-${range.end} announces ${range.end - range.start + 1} bytes but the body had ${size}`,
      {
        announced: range.end - range.start + 1,
        received: size,
      },
    );
  }
  if (size === 0) {
    await stored.discard();
    return { id: row.id, repository: row.repository, offset: start };
  }
  await stored.keep();
  if (!(await appendUploadChunk(deps.db, row.id, start, { key: stored.key, size, sha256: received.hex() }, stored.parted))) {
    // Another request moved the session (or ended it) while this body streamed.
    await stored.discard();
    throw await sessionMoved(deps, row.id, await findUpload(deps.db, row.id));
  }
  // The tail this chunk consumed is in the new parts or the new tail now.
  if (stored.parted && row.tail) await store.delete(row.tail.key);
  return { id: row.id, repository: row.repository, offset: start + size };
}

/** The error for a request that lost its session (`now`, re-read) to another request while its body streamed. */
async function sessionMoved(deps: RegistryDeps, id: string, now: UploadRow | undefined): Promise<RegistryError> {
  if (!now) {
    await deps.store.deletePrefix(uploadPrefix(id));
    return sessionEnded(id);
  }
  return rangeError(`upload moved to ${now.committed_size} bytes while this chunk was being received`, now);
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
  const assembled = await assembleBlob(deps, row, parsed);
  const key = blobKey(parsed);
  await deps.db.tx(async (q) => {
    // NOTE: the blob row is the lock against garbage collection (docs/design/0015): held,
    // the bytes at the key cannot be deleted until this transaction has linked them; found
    // missing, they are put there now, from this upload.
    await claimBlob(q, parsed.digest, assembled.size);
    if (!(await deps.store.stat(key))) await assembled.materialize(key);
    await chargeBlob(q, repository, parsed.digest, assembled.size);
    const repositoryId = await saveRepository(q, repository);
    await saveRepositoryBlob(q, repositoryId, parsed.digest);
    await removeUpload(q, id);
  });
  await deps.store.deletePrefix(uploadPrefix(id));
  return { digest: parsed.digest, size: assembled.size };
}

/**
 * Verifies the session's bytes against the digest, and says how to put them at a blob key:
 * by moving the one object they are in (a single chunk, the joined parts, or the chunks
 * joined into the session's assembly object), or, when the blob was already stored and
 * the chunks were only hashed, by joining the chunks again.
 */
async function assembleBlob(deps: RegistryDeps, row: UploadRow, digest: ParsedDigest): Promise<{ size: number; materialize(key: string): Promise<void> }> {
  const store = deps.store;
  const only = row.chunks.length === 1 ? row.chunks[0] : undefined;
  const moveFrom = (from: string) => async (key: string) => {
    try {
      await store.move(from, key);
    } catch (err) {
      // A concurrent finish of this same session moved it first: fine if the blob is there.
      if (!(err instanceof ObjectNotFoundError) || !(await store.stat(key))) throw err;
    }
  };
  // The blob as one stored object, when it is one: the parts joined, or a single chunk.
  const whole = writesInParts(store) ? await assembleParts(deps, store, row) : only?.key;
  if (whole !== undefined) {
    // Docker's push (one PATCH, then PUT) has the chunk's own hash, which is the blob's;
    // otherwise the joined object is read once to verify it.
    if (only && digest.algorithm === 'sha256') {
      if (only.sha256 !== digest.hex) throw mismatch(digest, row);
    } else {
      const hasher = new HashingStream(digest.algorithm);
      await pipeline(await store.read(whole), hasher, discardAll());
      if (hasher.hex() !== digest.hex) throw mismatch(digest, row);
    }
    return { size: row.committed_size, materialize: moveFrom(whole) };
  }
  const keys = row.chunks.map((c) => {
    if (!c.key) throw new Error(`upload ${row.id} has a chunk without an object`);
    return c.key;
  });
  const joined = () =>
    Readable.from(
      (async function* () {
        for (const k of keys) yield* await store.read(k);
      })(),
      { objectMode: false },
    );
  const hasher = new HashingStream(digest.algorithm);
  if ((await findBlob(deps.db, digest.digest)) && (await store.stat(blobKey(digest)))) {
    // The bytes are already stored: verify what the client sent without writing it again.
    await pipeline(joined(), hasher, discardAll());
    if (hasher.hex() !== digest.hex) throw mismatch(digest, row);
    return { size: hasher.bytes, materialize: (key) => writeJoined(store, joined(), key) };
  }
  // Joined into the session's own object, not the blob's key: the key is written only
  // under the blob row's lock, where garbage collection cannot delete it behind us.
  const assembly = uploadAssemblyKey(row.id);
  const writer = await store.writer(assembly);
  try {
    await pipeline(joined(), hasher, writer.stream);
    if (hasher.hex() !== digest.hex) throw mismatch(digest, row);
    await writer.commit();
  } finally {
    await writer.cancel(); // no-op after commit
  }
  return { size: hasher.bytes, materialize: moveFrom(assembly) };
}

async function writeJoined(store: RegistryDeps['store'], source: Readable, key: string): Promise<void> {
  const writer = await store.writer(key);
  try {
    await pipeline(source, writer.stream);
    await writer.commit();
  } finally {
    await writer.cancel();
  }
}

function discardAll(): Writable {
  return new Writable({ write: (_c, _e, cb) => cb() });
}

function mismatch(digest: ParsedDigest, row: UploadRow): RegistryError {
  return new RegistryError('DIGEST_INVALID', `uploaded content (${row.committed_size} bytes) does not match digest ${digest.digest}`, {
    digest: digest.digest,
  });
}

export async function cancelUpload(deps: RegistryDeps, repository: string, id: string): Promise<void> {
  await loadSession(deps, repository, id);
  const removed = await removeUpload(deps.db, id);
  if (removed) await abortParts(deps.store, id, removed.multipart_id);
  await deps.store.deletePrefix(uploadPrefix(id));
}

/**
 * Removes sessions idle longer than maxAgeMs (with their multipart uploads), chunk objects
 * whose session is gone, and writers' leftovers.
 */
export async function purgeUploads(deps: RegistryDeps, maxAgeMs: number): Promise<{ sessions: number; orphans: number; temporary: number }> {
  const stale = await removeStaleUploads(deps.db, maxAgeMs);
  for (const { id, multipart_id } of stale) {
    await abortParts(deps.store, id, multipart_id);
    await deps.store.deletePrefix(uploadPrefix(id));
  }
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
