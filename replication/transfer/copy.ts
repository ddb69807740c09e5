// Copies one artifact between two registries by walking its manifest tree: children
// before parents, blobs before the manifest that needs them, the tag last, so a reader of
// the destination never sees a tag whose content is incomplete. Blobs the destination has
// are skipped (HEAD), blobs this copy already put in another of its repositories are
// mounted, everything else streams from source to destination through a digest check,
// never landing on disk or whole in memory. Manifests arrive byte for byte, so digests
// (of multi-arch indexes too) are the same on both sides.
import { createHash } from 'node:crypto';
import { parseManifest } from '../../server/registry/manifestParser.js';
import { type RegistryClient, withRetry, type RetryPolicy, defaultRetry } from './client.js';
import { RemoteError } from '../../server/replication/remote.js';

export interface CopyProgress {
  blobsCopied: number;
  blobsSkipped: number;
  blobsMounted: number;
  manifests: number;
  bytes: number;
}

export interface CopyOptions {
  retry?: RetryPolicy;
  /** A line for the task's log. */
  log?: (line: string) => void;
  /** Where this copy already put each blob on the destination (repository by digest), for mounts. */
  placed?: Map<string, string>;
  /** Tags to set once the artifact is there (default: the reference when it is a tag). */
  tags?: string[];
  /** false: a tag that already names another artifact on the destination is left alone. */
  override?: boolean;
  /** Blob bytes per second at most (a rule's bandwidth limit); 0 or undefined: no limit. */
  bytesPerSecond?: number;
  /** Also copy the artifacts that refer to this one (signatures, SBOMs), where the source lists them. */
  referrers?: boolean;
  /** Called as blob bytes move, for progress. */
  onBytes?: (n: number) => void;
}

/** Holds a stream to `bytesPerSecond` on average, measured from its first byte. */
function throttled(bytesPerSecond: number): TransformStream<Uint8Array, Uint8Array> {
  let started = 0;
  let sent = 0;
  return new TransformStream({
    async transform(chunk, controller) {
      if (!started) started = Date.now();
      sent += chunk.byteLength;
      const due = started + (sent / bytesPerSecond) * 1000;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      controller.enqueue(chunk);
    },
  });
}

const blobsAtOnce = 3;

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** A pass-through stream that fails the transfer when the bytes do not hash to `digest`. */
function verifying(digest: string, onBytes: (n: number) => void): TransformStream<Uint8Array, Uint8Array> {
  const [algorithm, expected] = digest.split(':');
  const hash = createHash(algorithm === 'sha512' ? 'sha512' : 'sha256');
  return new TransformStream({
    transform(chunk, controller) {
      hash.update(chunk);
      onBytes(chunk.byteLength);
      controller.enqueue(chunk);
    },
    flush() {
      const got = hash.digest('hex');
      if (got !== expected) throw new RemoteError(`blob ${digest} arrived as ${algorithm}:${got}`);
    },
  });
}

export async function copyArtifact(
  src: RegistryClient,
  srcRepository: string,
  dst: RegistryClient,
  dstRepository: string,
  reference: string,
  opts: CopyOptions = {},
): Promise<{ digest: string; progress: CopyProgress }> {
  const retry = opts.retry ?? defaultRetry;
  const log = opts.log ?? (() => undefined);
  const placed = opts.placed ?? new Map<string, string>();
  const progress: CopyProgress = { blobsCopied: 0, blobsSkipped: 0, blobsMounted: 0, manifests: 0, bytes: 0 };
  const pushScope = `repository:${dstRepository}:pull,push`;

  const copyBlob = async (digest: string, size: number | undefined) => {
    if (await withRetry(retry, `HEAD ${digest}`, () => dst.hasBlob(dstRepository, digest, pushScope), log)) {
      progress.blobsSkipped++;
      return;
    }
    const from = placed.get(digest);
    if (from && from !== dstRepository && (await withRetry(retry, `mount ${digest}`, () => dst.mountBlob(dstRepository, digest, from), log))) {
      progress.blobsMounted++;
      log(`mounted ${digest} from ${from}`);
      return;
    }
    await withRetry(
      retry,
      `copy blob ${digest}`,
      async () => {
        const res = await src.getBlob(srcRepository, digest);
        const length = Number(res.headers.get('content-length') ?? size ?? NaN);
        if (!res.body || !Number.isFinite(length)) throw new RemoteError(`GET blob ${digest}: no length`);
        let moved = 0;
        const body = res.body as unknown as ReadableStream<Uint8Array>;
        const checked = body.pipeThrough(
          verifying(digest, (n) => {
            moved += n;
            opts.onBytes?.(n);
          }),
        );
        await dst.putBlob(dstRepository, digest, length, opts.bytesPerSecond ? checked.pipeThrough(throttled(opts.bytesPerSecond)) : checked);
        progress.bytes += moved;
      },
      log,
    );
    progress.blobsCopied++;
    placed.set(digest, dstRepository);
    log(`copied ${digest} (${size ?? '?'} bytes)`);
  };

  /** Copies the manifest `ref` and everything under it; returns its digest, media type and bytes. */
  const copyManifest = async (ref: string): Promise<{ digest: string; mediaType: string; bytes: Buffer }> => {
    const m = await withRetry(retry, `GET manifest ${srcRepository}:${ref}`, () => src.getManifest(srcRepository, ref), log);
    const digest = sha256(m.bytes);
    if (m.digest && m.digest !== digest && m.digest.startsWith('sha256:'))
      throw new RemoteError(`manifest ${ref} arrived with digest ${digest}, the source says ${m.digest}`);
    if (ref.includes(':') && ref !== digest && ref.startsWith('sha256:')) throw new RemoteError(`manifest ${ref} arrived with digest ${digest}`);
    const parsed = parseManifest(m.bytes, m.mediaType);
    if (!(await withRetry(retry, `HEAD manifest ${digest}`, () => dst.hasManifest(dstRepository, digest, pushScope), log))) {
      for (const child of parsed.childDigests) await copyManifest(child);
      const sizes = blobSizes(m.bytes);
      // A few layers at once, as docker and skopeo do: one stream rarely fills the link.
      const queue = [...parsed.blobDigests];
      await Promise.all(
        Array.from({ length: Math.min(blobsAtOnce, queue.length) }, async () => {
          for (let blob = queue.shift(); blob; blob = queue.shift()) await copyBlob(blob, sizes.get(blob));
        }),
      );
      await withRetry(retry, `PUT manifest ${digest}`, () => dst.putManifest(dstRepository, digest, parsed.mediaType, m.bytes), log);
      progress.manifests++;
      log(`pushed manifest ${digest}`);
    } else {
      progress.blobsSkipped += parsed.blobDigests.length;
    }
    return { digest, mediaType: parsed.mediaType, bytes: m.bytes };
  };

  const top = await copyManifest(reference);
  if (opts.referrers) {
    // Signatures and SBOMs point at the artifact (and may be signed themselves): two levels.
    for (const d of await withRetry(retry, `referrers of ${top.digest}`, () => src.referrers(srcRepository, top.digest), log)) {
      await copyManifest(d);
      for (const dd of await withRetry(retry, `referrers of ${d}`, () => src.referrers(srcRepository, d), log)) await copyManifest(dd);
    }
  }
  // The tags last: only now is everything under them on the destination.
  for (const tag of opts.tags ?? (reference.includes(':') ? [] : [reference])) {
    if (opts.override === false) {
      const existing = await withRetry(retry, `HEAD tag ${tag}`, () => dst.resolveManifest(dstRepository, tag, pushScope), log);
      if (existing && existing !== top.digest) {
        log(`kept ${dstRepository}:${tag} (it names ${existing}; the rule does not override)`);
        continue;
      }
    }
    await withRetry(retry, `PUT tag ${tag}`, () => dst.putManifest(dstRepository, tag, top.mediaType, top.bytes), log);
    log(`tagged ${dstRepository}:${tag} -> ${top.digest}`);
  }
  return { digest: top.digest, progress };
}

/** Sizes the manifest declares for its blobs (config, layers), to log and to check. */
function blobSizes(bytes: Buffer): Map<string, number> {
  const sizes = new Map<string, number>();
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as {
      config?: { digest: string; size: number };
      layers?: Array<{ digest: string; size: number }>;
      blobs?: Array<{ digest: string; size: number }>;
    };
    for (const d of [doc.config, ...(doc.layers ?? []), ...(doc.blobs ?? [])]) if (d?.digest) sizes.set(d.digest, d.size);
  } catch {
    /* parseManifest already accepted it */
  }
  return sizes;
}
