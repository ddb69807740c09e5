// S3-compatible driver (AWS S3, MinIO, Ceph RGW; s3rver in tests), through the AWS SDK v3.
// An object is streamed to a temporary key under tmp/ (multipart above the part size, so
// nothing is held whole in memory) and moved to its key server-side on commit: S3 shows an
// object only once it is complete, and a cancelled or mismatching blob never appears at its
// content address, not even for a moment. Keys are the same as on the filesystem
// (storage/keys.ts), below an optional prefix.
import { randomBytes } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  AbortMultipartUploadCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { BlobStore, ByteRange, ObjectInfo, ObjectWriter, PartedWrites, StoredPart } from '../blobStore.js';
import { ObjectNotFoundError } from '../blobStore.js';
import { assertKey } from '../keys.js';

/** Where objects wait between the last byte and commit(); never a key the registry uses. */
export const tmpPrefix = 'tmp/';
// S3's limits: CopyObject copies up to 5 GiB; larger objects are copied in parts.
const maxSingleCopy = 5 * 1024 ** 3;
const copyPartSize = 1024 ** 3;
const uploadPartSize = 16 * 1024 * 1024;

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.name === 'NoSuchUpload' || e?.$metadata?.httpStatusCode === 404;
}

/** S3 multipart uploads, for upload sessions whose chunks arrive over many requests. */
class S3Parts implements PartedWrites {
  // S3's limits on multipart uploads.
  readonly minPartSize = 5 * 1024 * 1024;
  readonly maxParts = 10_000;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: (key: string) => string,
  ) {}

  async begin(key: string): Promise<string> {
    const res = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key(key) }));
    if (!res.UploadId) throw new Error('the store started a multipart upload without an id');
    return res.UploadId;
  }

  async putPart(key: string, uploadId: string, number: number, bytes: Buffer): Promise<StoredPart> {
    const res = await this.client.send(
      new UploadPartCommand({ Bucket: this.bucket, Key: this.key(key), UploadId: uploadId, PartNumber: number, Body: bytes, ContentLength: bytes.length }),
    );
    if (!res.ETag) throw new Error(`the store kept part ${number} without an ETag`);
    return { number, etag: res.ETag, size: bytes.length };
  }

  async complete(key: string, uploadId: string, parts: StoredPart[]): Promise<void> {
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key(key),
        UploadId: uploadId,
        MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.number, ETag: p.etag })) },
      }),
    );
  }

  async putSmall(key: string, bytes: Buffer): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(key), Body: bytes, ContentLength: bytes.length }));
  }

  async abort(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key(key), UploadId: uploadId }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export class S3BlobStore implements BlobStore {
  readonly name = 's3';
  readonly parts: PartedWrites;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    private readonly prefix = '',
  ) {
    this.parts = new S3Parts(client, bucket, (key) => this.key(key));
  }

  private key(key: string): string {
    return `${this.prefix}${assertKey(key)}`;
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return { size: head.ContentLength ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key), Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      // A zero-byte object may come without a body.
      return (res.Body as Readable | undefined) ?? Readable.from([]);
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(key);
      throw err;
    }
  }

  async writer(key: string): Promise<ObjectWriter> {
    const target = this.key(key);
    const tmp = `${this.prefix}${tmpPrefix}${randomBytes(12).toString('hex')}`;
    let size = 0;
    // Counts what passes (a 'data' listener would start the flow before the SDK reads).
    const stream = new Transform({
      highWaterMark: 1 << 20,
      transform(chunk: Buffer, _enc, callback) {
        size += chunk.length;
        callback(null, chunk);
      },
    });
    // lib-storage reads the stream in parts and uploads them as they fill (one PUT when small).
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: tmp, Body: stream },
      partSize: uploadPartSize,
      queueSize: 2,
      leavePartsOnError: false,
    });
    const done = upload.done();
    done.catch(() => undefined); // observed in commit/cancel
    let state: 'open' | 'committed' | 'cancelled' = 'open';
    return {
      stream,
      commit: async () => {
        if (state !== 'open') throw new Error(`writer already ${state}`);
        await done;
        await this.moveRaw(tmp, target, size);
        state = 'committed';
        return { size };
      },
      cancel: async () => {
        if (state !== 'open') return;
        state = 'cancelled';
        await upload.abort().catch(() => undefined);
        stream.destroy();
        await done.catch(() => undefined);
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: tmp })).catch(() => undefined);
      },
    };
  }

  async move(from: string, to: string): Promise<void> {
    const info = await this.stat(from);
    if (!info) throw new ObjectNotFoundError(from);
    await this.moveRaw(this.key(from), this.key(to), info.size);
  }

  /** Server-side copy, then delete of the source: the bytes never pass through Berth. */
  private async moveRaw(from: string, to: string, size: number): Promise<void> {
    const source = `${this.bucket}/${from.split('/').map(encodeURIComponent).join('/')}`;
    if (size <= maxSingleCopy) {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: source }));
    } else {
      const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: to }));
      try {
        const parts = [];
        for (let start = 0, n = 1; start < size; start += copyPartSize, n++) {
          const end = Math.min(size, start + copyPartSize) - 1;
          const res = await this.client.send(
            new UploadPartCopyCommand({ Bucket: this.bucket, Key: to, UploadId, PartNumber: n, CopySource: source, CopySourceRange: `bytes=${start}-${end}` }),
          );
          parts.push({ PartNumber: n, ETag: res.CopyPartResult?.ETag });
        }
        await this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: to, UploadId, MultipartUpload: { Parts: parts } }));
      } catch (err) {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: to, UploadId })).catch(() => undefined);
        throw err;
      }
    }
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: from }));
  }

  async delete(key: string): Promise<void> {
    // S3 answers a delete of an absent key with success.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
  }

  async deletePrefix(prefix: string): Promise<void> {
    let batch: string[] = [];
    const flush = async () => {
      if (!batch.length) return;
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
      batch = [];
    };
    for await (const key of this.listRaw(prefix)) {
      batch.push(key);
      if (batch.length === 1000) await flush(); // S3's limit per request
    }
    await flush();
  }

  private async *listRaw(prefix: string): AsyncGenerator<string> {
    if (!prefix.endsWith('/')) throw new Error(`a prefix ends in '/': ${prefix}`);
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: `${this.prefix}${prefix}` })) {
      for (const o of page.Contents ?? []) if (o.Key) yield o.Key;
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    for await (const key of this.listRaw(prefix)) yield key.slice(this.prefix.length);
  }

  /**
   * Deletes tmp/ objects of writers that never committed or cancelled (their process died).
   * Incomplete multipart uploads of such writers are S3's to expire: configure the bucket's
   * AbortIncompleteMultipartUpload lifecycle rule (docs/operations.md).
   */
  async purgeTemporary(maxAgeMs: number): Promise<number> {
    const cutoff = Date.now() - maxAgeMs;
    const old: string[] = [];
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: `${this.prefix}${tmpPrefix}` })) {
      for (const o of page.Contents ?? []) if (o.Key && (o.LastModified?.getTime() ?? 0) <= cutoff) old.push(o.Key);
    }
    for (let i = 0; i < old.length; i += 1000) {
      await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: old.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }),
      );
    }
    return old.length;
  }

  /** A pre-signed GET: the client pulls the bytes from the store, not through Berth. */
  async redirectUrl(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }), { expiresIn: expiresInSeconds });
  }

  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }
}
