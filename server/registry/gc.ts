// Online garbage collection (docs/design/0015): one run takes what the review queues hold
// and is due, in three phases (untagged manifests, then repository links, then blobs), in
// batches of one transaction each, `workers` batches at a time. Pushes and pulls go on; a
// push that holds a row the collector wants makes the collector skip it (reviewed again
// later), never wait. A dry run makes the same decisions in one transaction it rolls back,
// and deletes no bytes.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database, Queryer } from '../db/database.js';
import {
  deleteBlobRows,
  deleteLinks,
  deleteManifests,
  endBlobReviews,
  endLinkReviews,
  endManifestReviews,
  lockBlobs,
  lockLinks,
  lockManifests,
  lockProjectsOf,
  postponeBlobReviews,
  postponeLinkReviews,
  postponeManifestReviews,
  takeBlobReviews,
  takeLinkReviews,
  takeManifestReviews,
  unkeptManifests,
  unlinkedBlobs,
  unreferencedLinks,
} from '../db/gc.js';
import { parseDigest } from '../lib/references.js';
import type { BlobStore } from '../storage/blobStore.js';
import { blobKey } from '../storage/keys.js';

export interface GcOptions {
  /** Reviews queued less than this long ago wait (BERTH_GC_REVIEW_DELAY). */
  reviewDelayMs: number;
  /** Harbor's "delete untagged artifacts": untagged manifests go too. */
  deleteUntagged: boolean;
  dryRun: boolean;
  /** Batches at a time (Harbor's workers, 1 to 5). */
  workers: number;
  batchSize?: number;
  /** One line per thing deleted (or, in a dry run, that would be), and per phase. */
  log?: (line: string) => void;
  /** Stops between batches. */
  signal?: AbortSignal;
  /** Filled as the run goes, for a caller that reports progress while it runs. */
  result?: GcResult;
  /**
   * After each batch a worker rests this many times as long as the batch took (0: never),
   * so a run leaves the database and the disk to pushes and pulls most of the time.
   */
  pace?: number;
  /** Asked before each batch and told after it (gc/loadGate.ts: yielding to pushes and pulls). */
  gate?: BatchGate;
}

/** What paces the batches from outside the collector. */
export interface BatchGate {
  enter(): Promise<void>;
  leave(batchMs: number): void;
}

export interface GcResult {
  manifests: number;
  links: number;
  blobs: number;
  /** Bytes of blobs deleted from the store. */
  freedBytes: number;
  /** Bytes each project's usage dropped by. */
  released: Record<string, number>;
  /** Reviews postponed because a push held what they name. */
  postponed: number;
}

interface Phase {
  name: string;
  /** Does one batch; returns how many reviews it took (0: the phase is done). */
  batch(q: Queryer, dueBefore: Date): Promise<number>;
}

export async function collectGarbage(deps: { db: Database; store: BlobStore }, opts: GcOptions): Promise<GcResult> {
  const result: GcResult = opts.result ?? emptyResult();
  const log = opts.log ?? (() => undefined);
  const size = opts.batchSize ?? 100;
  const dry = opts.dryRun;
  const allPhases: Phase[] = [
    {
      name: 'manifests',
      async batch(q, dueBefore) {
        const reviews = await takeManifestReviews(q, dueBefore, size);
        if (!reviews.length) return 0;
        const ids = reviews.map((r) => Number(r.manifest_id));
        const { locked, held } = await lockManifests(q, ids);
        const doomed = await unkeptManifests(q, locked);
        for (const m of doomed) log(`${dry ? 'would delete' : 'deleted'} untagged manifest ${m.repository}@${m.digest}`);
        await deleteManifests(
          q,
          doomed.map((m) => m.id),
        );
        await postponeManifestReviews(q, held);
        await endManifestReviews(
          q,
          ids.filter((id) => !held.includes(id)),
        );
        result.manifests += doomed.length;
        result.postponed += held.length;
        return reviews.length;
      },
    },
    {
      name: 'links',
      async batch(q, dueBefore) {
        const reviews = await takeLinkReviews(q, dueBefore, size);
        if (!reviews.length) return 0;
        // NOTE: projects before links, the order a push takes them in (charge, then link).
        if (!dry) await lockProjectsOf(q, [...new Set(reviews.map((r) => Number(r.repository_id)))]);
        const { locked, held } = await lockLinks(q, reviews);
        const doomed = await unreferencedLinks(q, locked);
        for (const l of doomed) log(`${dry ? 'would unlink' : 'unlinked'} blob ${l.digest} (${l.size} bytes) from ${l.repository}`);
        const released = await deleteLinks(q, doomed);
        for (const r of released) result.released[r.project] = (result.released[r.project] ?? 0) + r.size;
        const heldKeys = new Set(held.map((l) => `${l.repository_id} ${l.digest}`));
        await postponeLinkReviews(q, held);
        await endLinkReviews(
          q,
          reviews.filter((r) => !heldKeys.has(`${r.repository_id} ${r.digest}`)),
        );
        result.links += doomed.length;
        result.postponed += held.length;
        return reviews.length;
      },
    },
    {
      name: 'blobs',
      async batch(q, dueBefore) {
        const digests = await takeBlobReviews(q, dueBefore, size);
        if (!digests.length) return 0;
        const { locked, held } = await lockBlobs(q, digests);
        const doomed = await unlinkedBlobs(q, locked);
        // NOTE: the bytes go while this transaction holds the rows: an upload of the same
        // digest waits for the commit and then finds the bytes missing and writes them.
        if (!dry)
          await deleteAll(
            deps.store,
            doomed.map((b) => b.digest),
          );
        for (const b of doomed) log(`${dry ? 'would delete' : 'deleted'} blob ${b.digest} (${b.size} bytes)`);
        await deleteBlobRows(
          q,
          doomed.map((b) => b.digest),
        );
        await postponeBlobReviews(q, held);
        await endBlobReviews(
          q,
          digests.filter((d) => !held.includes(d)),
        );
        result.blobs += doomed.length;
        result.freedBytes += doomed.reduce((n, b) => n + b.size, 0);
        result.postponed += held.length;
        return digests.length;
      },
    },
  ];
  // NOTE: without delete_untagged the manifest reviews stay queued, for a run that has it.
  const phases = opts.deleteUntagged ? allPhases : allPhases.slice(1);
  if (dry) {
    // One transaction, rolled back: what the phases would do, each seeing the one before.
    await deps.db
      .tx(async (q) => {
        for (const phase of phases) {
          const dueBefore = await cutoff(q, opts.reviewDelayMs);
          while ((await phase.batch(q, dueBefore)) > 0) if (opts.signal?.aborted) break;
          log(`phase ${phase.name}: done (dry run)`);
        }
        throw new DryRunDone();
      })
      .catch((err) => {
        if (!(err instanceof DryRunDone)) throw err;
      });
    return result;
  }
  for (const phase of phases) {
    const dueBefore = await cutoff(deps.db, opts.reviewDelayMs);
    const worker = async () => {
      for (;;) {
        if (opts.signal?.aborted) return;
        await opts.gate?.enter();
        const started = performance.now();
        let taken = 0;
        try {
          taken = await deps.db.tx((q) => phase.batch(q, dueBefore));
        } finally {
          opts.gate?.leave(performance.now() - started);
        }
        if (taken === 0) return;
        if (opts.pace) await sleep((performance.now() - started) * opts.pace);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.workers) }, worker));
    log(`phase ${phase.name}: done`);
    if (opts.signal?.aborted) break;
  }
  return result;
}

class DryRunDone extends Error {}

export function emptyResult(): GcResult {
  return { manifests: 0, links: 0, blobs: 0, freedBytes: 0, released: {}, postponed: 0 };
}

/** The database's clock, not this process's: reviews are stamped by it. */
async function cutoff(q: Queryer, delayMs: number): Promise<Date> {
  const { rows } = await q.query<{ t: Date }>(`SELECT clock_timestamp() - $1 * interval '1 millisecond' AS t`, [delayMs]);
  return rows[0].t;
}

// A bucket's deletes wait on the network; a disk's on the libuv threadpool, which pushes need too.
const deleteConcurrency = (store: BlobStore) => (store.name === 'fs' ? 4 : 16);

async function deleteAll(store: BlobStore, digests: string[]): Promise<void> {
  let next = 0;
  const one = async () => {
    while (next < digests.length) {
      const d = parseDigest(digests[next++]);
      if (d) await store.delete(blobKey(d));
    }
  };
  await Promise.all(Array.from({ length: Math.min(deleteConcurrency(store), digests.length) }, one));
}
