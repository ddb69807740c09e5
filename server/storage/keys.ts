// The storage key layout, the one place that knows it. Drivers see only these keys.
//
//   blobs/
//     sha256/<hex[0:2]>/<hex>        blob bytes, content-addressed (also sha512/…)
//   uploads/
//     <upload uuid>/
//       <start offset>-<random>      one committed or in-flight chunk of an upload session
//       tail-<random>                bytes short of a part, waiting for the next chunk (S3)
//       assembled                    the session's bytes put together on finish (S3 parts, or several
//                                    chunks), moved to the blob's key under its row's lock
//
// Keys are '/'-separated, relative, and built only from validated digests and server-made
// ids, so no request value can steer a key outside its tree; assertKey double-checks that.
import type { ParsedDigest } from '../lib/references.js';

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const keyRe = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

export const blobsPrefix = 'blobs/';
export const uploadsPrefix = 'uploads/';

export function blobKey(d: Pick<ParsedDigest, 'algorithm' | 'hex'>): string {
  return `${blobsPrefix}${d.algorithm}/${d.hex.slice(0, 2)}/${d.hex}`;
}

export function uploadPrefix(uploadId: string): string {
  if (!uuidRe.test(uploadId)) throw new Error(`not an upload id: ${uploadId}`);
  return `${uploadsPrefix}${uploadId}/`;
}

export function uploadChunkKey(uploadId: string, start: number, nonce: string): string {
  if (!Number.isSafeInteger(start) || start < 0 || !/^[a-z0-9]+$/.test(nonce)) throw new Error('bad chunk key parts');
  return `${uploadPrefix(uploadId)}${start}-${nonce}`;
}

/** Where a session's bytes are put together on finish (S3 multipart, or several chunks on a filesystem). */
export function uploadAssemblyKey(uploadId: string): string {
  return `${uploadPrefix(uploadId)}assembled`;
}

/** Bytes of a session too few for a part of their own, kept until more arrive. */
export function uploadTailKey(uploadId: string, nonce: string): string {
  if (!/^[a-z0-9]+$/.test(nonce)) throw new Error('bad tail key nonce');
  return `${uploadPrefix(uploadId)}tail-${nonce}`;
}

/** The upload id a key under uploads/ belongs to, or undefined. */
export function uploadIdOfKey(key: string): string | undefined {
  const m = /^uploads\/([^/]+)\//.exec(key);
  return m && uuidRe.test(m[1]) ? m[1] : undefined;
}

export function isUploadId(id: string): boolean {
  return uuidRe.test(id);
}

export function assertKey(key: string): string {
  if (!keyRe.test(key) || key.split('/').some((p) => p === '.' || p === '..')) throw new Error(`invalid storage key: ${key}`);
  return key;
}
