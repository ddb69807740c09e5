// The narrow contract every blob store driver fulfils (fs now, S3 later). Drivers see
// keys (storage/keys.ts), never repository names. One contract suite tests every driver:
// test/contract/blobStore.suite.ts.
import type { Readable, Writable } from 'node:stream';

export interface ObjectInfo {
  size: number;
}

export interface ByteRange {
  start: number; // inclusive
  end: number; // inclusive
}

/** An object being written. Nothing is visible at `key` until commit() resolves. */
export interface ObjectWriter {
  readonly stream: Writable;
  /** Makes the written bytes durable and visible at the key (atomic replace). Resolves after the stream has finished. */
  commit(): Promise<ObjectInfo>;
  /** Discards the bytes. Safe to call at any time, also after commit() (then it does nothing). */
  cancel(): Promise<void>;
}

/** One stored part of an object that is assembled from parts. */
export interface StoredPart {
  number: number;
  etag: string;
  size: number;
}

/**
 * Objects assembled from parts that arrive over many requests (S3 multipart uploads): each
 * part is stored as it comes and finishing joins them server-side. The caller keeps the
 * upload id and the parts in its own records, so any process may add a part or finish.
 */
export interface PartedWrites {
  /** Every part but the last holds at least this many bytes. */
  readonly minPartSize: number;
  /** Part numbers run from 1 to this. */
  readonly maxParts: number;
  begin(key: string): Promise<string>;
  /** Stores (or replaces) part `number`. */
  putPart(key: string, uploadId: string, number: number, bytes: Buffer): Promise<StoredPart>;
  /** Joins the parts, in the order given, into the object at `key`. */
  complete(key: string, uploadId: string, parts: StoredPart[]): Promise<void>;
  /** Discards the upload and its parts; an upload that is already gone is fine. */
  abort(key: string, uploadId: string): Promise<void>;
  /**
   * Stores bytes too few for a part as an object of their own, in one request (an S3 PUT
   * shows an object only once complete, so no temporary key is needed).
   */
  putSmall(key: string, bytes: Buffer): Promise<void>;
}

export interface BlobStore {
  readonly name: string;
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Streams the object (or a byte range of it). Throws ObjectNotFoundError if absent. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  writer(key: string): Promise<ObjectWriter>;
  /** Moves an object to another key, replacing what is there (durable when it resolves). */
  move(from: string, to: string): Promise<void>;
  /** Removes an object; absent is fine. */
  delete(key: string): Promise<void>;
  /** Removes every object under a prefix ending in '/'. */
  deletePrefix(prefix: string): Promise<void>;
  /** Lists keys under a prefix ending in '/', recursively, in no particular order. */
  list(prefix: string): AsyncIterable<string>;
  /** Throws when the store cannot be used (health check). */
  check(): Promise<void>;
  /** Bytes in all and free where the store keeps its objects, when it can tell (a volume can; a bucket cannot). */
  capacity?(): Promise<{ total: number; free: number }>;
  /** A URL a client may fetch the object from directly, valid for a while (S3 pre-signed). */
  redirectUrl?(key: string, expiresInSeconds: number): Promise<string>;
  /** Present when the store assembles objects from parts (S3); upload sessions then write into them. */
  readonly parts?: PartedWrites;
  /** Removes what writers left behind when their process died, older than maxAgeMs; how many. */
  purgeTemporary?(maxAgeMs: number): Promise<number>;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`object not found: ${key}`);
  }
}
