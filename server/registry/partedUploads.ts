// Upload sessions on a store that writes in parts (S3 multipart uploads; design 0013).
// A chunk's bytes go straight into parts of the session's one multipart upload, cut at
// partSize as they stream; what is left at the end of a chunk, if fewer than the store's
// minimum part, waits as a small tail object and is put in front of the next chunk. Finishing
// stores the tail as the last part and joins the parts server-side. Memory per upload is
// two parts (one filling, one sending) whatever the blob's size.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { claimMultipartId, nextPartNumber, type PartsAppend, type UploadRow } from '../db/uploads.js';
import type { BlobStore, PartedWrites, StoredPart } from '../storage/blobStore.js';
import { uploadAssemblyKey, uploadTailKey } from '../storage/keys.js';
import type { RegistryDeps } from './deps.js';
import { RegistryError } from '../lib/registryErrors.js';

/** Parts are cut at this size (or the store's minimum, if larger); S3 allows 10,000 parts, ~97 GiB. */
export const partSize = 10 * 1024 * 1024;

export type PartedStore = BlobStore & { parts: PartedWrites };

export function writesInParts(store: BlobStore): store is PartedStore {
  return store.parts !== undefined;
}

/** For a request whose session was finished or cancelled while its body streamed. */
export function sessionEnded(uploadId: string): RegistryError {
  return new RegistryError('BLOB_UPLOAD_UNKNOWN', `upload ${uploadId} ended while this chunk was being received`, { uuid: uploadId });
}

async function partNumber(deps: RegistryDeps, store: PartedStore, uploadId: string): Promise<number> {
  const n = await nextPartNumber(deps.db, uploadId);
  if (n === undefined) throw sessionEnded(uploadId);
  if (n > store.parts.maxParts) {
    throw new RegistryError(
      'BLOB_UPLOAD_INVALID',
      `the upload needs more than the store's ${store.parts.maxParts} parts; push the blob in fewer, larger chunks`,
    );
  }
  return n;
}

/** Starts the session's multipart upload, or takes the one a racing request recorded first. */
async function startMultipart(deps: RegistryDeps, store: PartedStore, uploadId: string): Promise<string> {
  const key = uploadAssemblyKey(uploadId);
  const mine = await store.parts.begin(key);
  const held = await claimMultipartId(deps.db, uploadId, mine);
  if (held !== mine) await store.parts.abort(key, mine);
  if (!held) throw sessionEnded(uploadId);
  return held;
}

/**
 * Streams the session's tail and then `body` into new parts. Returns what the caller records
 * if its conditional update wins; a loser's parts are never listed and S3 drops them on completion.
 */
export async function appendParts(deps: RegistryDeps, store: PartedStore, row: UploadRow, body: Readable): Promise<PartsAppend> {
  // Started by the first part any request of the session sends.
  let multipartId = row.multipart_id;
  const key = uploadAssemblyKey(row.id);
  const size = Math.max(partSize, store.parts.minPartSize);
  const made: StoredPart[] = [];
  let sending: Promise<void> = Promise.resolve();
  let failed: unknown;
  // One part is sent while the next fills; a failure is kept and thrown at the next step,
  // so no rejection goes unobserved while the body streams.
  const send = async (bytes: Buffer) => {
    await sending;
    if (failed) throw failed;
    multipartId ??= await startMultipart(deps, store, row.id);
    const n = await partNumber(deps, store, row.id);
    sending = store.parts.putPart(key, multipartId, n, bytes).then(
      (p) => void made.push(p),
      (err: unknown) => {
        failed = err;
      },
    );
  };
  // Leaving the loop below early (a failed part) returns the generator, which destroys
  // the streams it was reading.
  const source = (async function* (): AsyncGenerator<Buffer> {
    if (row.tail) yield* await store.read(row.tail.key);
    yield* body;
  })();
  // Bytes are copied once, into the part being filled. Two buffers take turns: one is
  // filled while the other is sent, and send() waits for the one before, so a buffer is
  // refilled only after the store has it (and 10 MiB allocations do not churn the GC).
  const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
  let turn = 0;
  let part = buffers[turn];
  let filled = 0;
  try {
    for await (const chunk of source) {
      for (let at = 0; at < chunk.length; ) {
        const n = chunk.copy(part, filled, at, Math.min(chunk.length, at + size - filled));
        filled += n;
        at += n;
        if (filled === size) {
          await send(part);
          turn ^= 1;
          part = buffers[turn];
          filled = 0;
        }
      }
    }
    const rest = part.subarray(0, filled);
    let tail: PartsAppend['tail'] = null;
    if (rest.length >= store.parts.minPartSize) await send(rest);
    else if (rest.length > 0) tail = await writeTail(store, row.id, rest);
    await sending;
    if (failed) throw failed;
    return { parts: made, tail };
  } catch (err) {
    await sending;
    throw err;
  }
}

async function writeTail(store: PartedStore, uploadId: string, bytes: Buffer): Promise<{ key: string; size: number }> {
  // Its key is new and no row names it until the chunk is recorded, so a plain put is safe.
  const key = uploadTailKey(uploadId, randomBytes(6).toString('hex'));
  await store.parts.putSmall(key, bytes);
  return { key, size: bytes.length };
}

/** Joins the session's parts (and its tail, as the last part) into one object; returns its key. */
export async function assembleParts(deps: RegistryDeps, store: PartedStore, row: UploadRow): Promise<string> {
  // Fewer bytes than one part: the tail is the whole blob (or, for an empty blob, an empty object).
  if (!row.parts.length) return row.tail?.key ?? (await writeTail(store, row.id, Buffer.alloc(0))).key;
  const key = uploadAssemblyKey(row.id);
  // Parts are recorded only under the multipart upload their session claimed.
  const id = row.multipart_id;
  if (!id) throw new Error(`upload ${row.id} has parts but no multipart upload`);
  const parts = [...row.parts];
  try {
    if (row.tail) parts.push(await store.parts.putPart(key, id, await partNumber(deps, store, row.id), await buffer(await store.read(row.tail.key))));
    await store.parts.complete(key, id, parts);
  } catch (err) {
    // A finish that completed the upload before (a retry after a digest mismatch, or a
    // concurrent finish) left the joined object behind: the same bytes.
    if ((await store.stat(key))?.size !== row.committed_size) throw err;
  }
  return key;
}

/** Drops a session's multipart upload (cancel and purge); its objects go with the session's prefix. */
export async function abortParts(store: BlobStore, uploadId: string, multipartId: string | null): Promise<void> {
  if (multipartId && store.parts) await store.parts.abort(uploadAssemblyKey(uploadId), multipartId);
}
