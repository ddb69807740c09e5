// Blob push and pull the way the docker client does it: POST to open an upload, one
// PATCH streaming the whole layer (chunked transfer encoding, no Content-Range), then
// PUT ?digest= to commit.
import { createHash, randomBytes } from 'node:crypto';
import { expectStatus, HttpError, request, resolveLocation } from './http.js';

const MiB = 1024 * 1024;
const PREFIX_BYTES = 32;
// Slices handed to the socket; views into shared memory, so nothing is copied.
const SLICE = MiB;
// A 64 MiB blob moves in well under a second on loopback; a minute means a hung request,
// and failing it early keeps the run bounded and names the request.
const BLOB_TIMEOUT_MS = 60_000;

export interface BenchBlob {
  size: number;
  digest: string;
  /** Makes the blob unique; the rest is shared random data. */
  prefix: Buffer;
}

export interface BlobSet {
  blobs: BenchBlob[];
  /** One more 16 MiB blob, pushed and pulled untimed before the timed phases. */
  warmup: BenchBlob;
  totalBytes: number;
  /** The blob's bytes as slices of shared memory, for a streamed body. */
  chunks(blob: BenchBlob): Generator<Buffer>;
}

/**
 * Random data is generated once (as large as the largest blob); each blob is a distinct
 * 32-byte prefix followed by the start of that data, so blobs are unique (no registry can
 * deduplicate them) while costing only one sha256 pass each. Sizes cycle through
 * `sizesMiB` until `totalMiB` is reached.
 */
export function makeBlobSet(totalMiB: number, sizesMiB: number[] = [64, 16, 48, 32]): BlobSet {
  const runId = randomBytes(8).toString('hex');
  const sizes: number[] = [];
  for (let left = totalMiB, i = 0; left > 0 && sizes.length < 10_000; i++) {
    const size = Math.min(sizesMiB[i % sizesMiB.length], left);
    sizes.push(size * MiB);
    left -= size;
  }
  const random = randomBytes(Math.max(...sizes, 16 * MiB));
  const blob = (size: number, name: string) => {
    const prefix = Buffer.alloc(PREFIX_BYTES, ' ');
    prefix.write(`berth-bench ${runId} ${name}`);
    const digest = createHash('sha256')
      .update(prefix)
      .update(random.subarray(0, size - PREFIX_BYTES))
      .digest('hex');
    return { size, prefix, digest: `sha256:${digest}` };
  };
  const blobs = sizes.map((size, i) => blob(size, String(i)));
  return {
    blobs,
    warmup: blob(16 * MiB, 'warmup'),
    totalBytes: sizes.reduce((a, b) => a + b, 0),
    *chunks(blob) {
      yield blob.prefix;
      const end = blob.size - PREFIX_BYTES;
      for (let at = 0; at < end; at += SLICE) yield random.subarray(at, Math.min(at + SLICE, end));
    },
  };
}

/** POST, one streamed PATCH, PUT ?digest=. Returns nothing; throws HttpError on any deviation. */
export async function pushBlob(base: string, repo: string, digest: string, body: Buffer | Iterable<Buffer>): Promise<void> {
  const startUrl = `${base}/v2/${repo}/blobs/uploads/`;
  const started = expectStatus('POST', startUrl, await request('POST', startUrl), 202);
  const patchUrl = resolveLocation(base, started, 'POST', startUrl).toString();

  const patched = await request('PATCH', patchUrl, {
    headers: { 'Content-Type': 'application/octet-stream' },
    body: Buffer.isBuffer(body) ? [body] : body, // always chunked, as docker sends layers
    timeoutMs: BLOB_TIMEOUT_MS,
  });
  expectStatus('PATCH', patchUrl, patched, 202);

  const putUrl = resolveLocation(base, patched, 'PATCH', patchUrl);
  putUrl.searchParams.set('digest', digest);
  const put = await request('PUT', putUrl.toString());
  expectStatus('PUT', putUrl.toString(), put, 201);
  if (put.headers['docker-content-digest'] !== undefined && put.headers['docker-content-digest'] !== digest) {
    throw new HttpError('PUT', putUrl.toString(), put, `Docker-Content-Digest is not ${digest}`);
  }
}

/** GETs a blob, discarding the bytes; checks status and length. */
export async function pullBlob(base: string, repo: string, blob: BenchBlob): Promise<void> {
  const url = `${base}/v2/${repo}/blobs/${blob.digest}`;
  const res = await request('GET', url, { maxBody: 0, timeoutMs: BLOB_TIMEOUT_MS });
  expectStatus('GET', url, res, 200);
  if (res.bytes !== blob.size) throw new HttpError('GET', url, res, `expected ${blob.size} bytes, received ${res.bytes}`);
}

/** GETs a blob and hashes it: the untimed check that a registry returns the right bytes. */
export async function verifyBlob(base: string, repo: string, blob: BenchBlob): Promise<void> {
  const url = `${base}/v2/${repo}/blobs/${blob.digest}`;
  const res = await request('GET', url, { maxBody: blob.size + 1, timeoutMs: BLOB_TIMEOUT_MS });
  expectStatus('GET', url, res, 200);
  const got = `sha256:${createHash('sha256').update(res.body).digest('hex')}`;
  if (got !== blob.digest || res.bytes !== blob.size) {
    throw new HttpError('GET', url, res, `body is ${res.bytes} bytes with digest ${got}, expected ${blob.size} bytes ${blob.digest}`);
  }
}

/**
 * Runs `task` over `items` with at most `concurrency` in flight, stopping at the first
 * failure or when `deadline` (epoch ms) passes. Returns the wall time in seconds.
 */
export async function runConcurrently<T>(items: T[], concurrency: number, deadline: number, task: (item: T) => Promise<void>): Promise<number> {
  let next = 0;
  let failed = false;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (!failed && next < items.length) {
      if (Date.now() > deadline) throw new Error(`phase exceeded its time budget after ${next} of ${items.length} items`);
      const item = items[next++];
      try {
        await task(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return Number(process.hrtime.bigint() - started) / 1e9;
}
