// One registry through all phases: push, pull, manifest GETs, with memory sampled
// throughout and the registry's CPU read at each phase boundary.
import { pullBlob, pushBlob, runConcurrently, verifyBlob, type BlobSet } from './blobs.js';
import { cpuBetween, cpuSnapshot, type CpuSnapshot, type CpuUse } from './cpu.js';
import { runLoad, type LoadResult } from './load.js';
import { authorizationFor } from './http.js';
import { OCI_MANIFEST, pushSmallImage, seedImage } from './manifests.js';
import type { BenchOptions } from './options.js';
import { TreeMemorySampler } from './procTree.js';
import type { Registry } from './registries.js';
import type { RegistryResult } from './report.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const WARMUP_S = 2;
// Generous: a healthy registry needs well under a minute for all phases.
const REGISTRY_BUDGET_MS = 5 * 60_000;

interface Phase<T> {
  value: T;
  cpu: CpuUse;
  /** Snapshots around the phase, for spans across phases. */
  before: CpuSnapshot;
  after: CpuSnapshot;
}

async function phase<T>(reg: Registry, work: () => Promise<T>): Promise<Phase<T>> {
  const snapshot = async () => cpuSnapshot(reg.pid, (await reg.companions?.()) ?? [], reg.storePid);
  const before = await snapshot();
  const value = await work();
  const after = await snapshot();
  return { value, before, after, cpu: cpuBetween(before, after) };
}

export async function measureRegistry(
  reg: Registry,
  set: BlobSet,
  o: BenchOptions,
  loadTool: 'wrk' | 'node',
  log: (msg: string) => void,
): Promise<RegistryResult> {
  const deadline = Date.now() + REGISTRY_BUDGET_MS;
  const repo = 'bench/blobs';
  const sampler = new TreeMemorySampler(reg.pid, 100);
  sampler.start();
  try {
    // Untimed, as before the manifest GETs: the first requests of a fresh process pay for
    // JIT compilation, lazily loaded modules and new pool connections, which a 512 MiB
    // phase would charge at twice their cost per GiB. Distribution gets the same.
    await pushBlob(reg.url, repo, set.warmup.digest, set.chunks(set.warmup));
    await pullBlob(reg.url, repo, set.warmup);
    log(`${reg.name}: pushing ${set.blobs.length} blobs, ${set.totalBytes / MiB} MiB, ${o.concurrency} at a time`);
    const push = await phase(reg, () => runConcurrently(set.blobs, o.concurrency, deadline, (b) => pushBlob(reg.url, repo, b.digest, set.chunks(b))));

    // Untimed: a registry that returned wrong bytes fast must not look good.
    await verifyBlob(
      reg.url,
      repo,
      set.blobs.reduce((a, b) => (b.size < a.size ? b : a)),
    );

    log(`${reg.name}: pulling ${o.pullRounds}× ${o.concurrency} at a time`);
    const pulls = Array.from({ length: o.pullRounds }, () => set.blobs).flat();
    const pulledBytes = pulls.reduce((a, b) => a + b.size, 0);
    const pull = await phase(reg, () => runConcurrently(pulls, o.concurrency, deadline, (b) => pullBlob(reg.url, repo, b)));

    log(`${reg.name}: pushing ${o.images} small images, ${o.concurrency} at a time`);
    const tags = Array.from({ length: o.images }, (_, i) => `v${i}`);
    const images = await phase(reg, () => runConcurrently(tags, o.concurrency, deadline, (tag) => pushSmallImage(reg.url, 'bench/images', tag)));

    const manifestUrl = await seedImage(reg.url, 'bench/manifests', 'latest');
    const authorization = authorizationFor(manifestUrl);
    const load = {
      url: manifestUrl,
      headers: { Accept: OCI_MANIFEST, ...(authorization ? { Authorization: authorization } : {}) },
      connections: o.connections,
      threads: 2,
      durationS: o.durationS,
    };
    log(`${reg.name}: manifest GETs with ${loadTool}, ${o.connections} connections, ${WARMUP_S} s warm-up + ${o.durationS} s`);
    await runLoad(loadTool, { ...load, durationS: WARMUP_S }); // JIT and connection pools warm up first
    const manifests = await phase<LoadResult>(reg, () => runLoad(loadTool, load));

    await sampler.sample(); // a last reading, so VmHWM covers the very end
    return {
      name: reg.name,
      settings: reg.settings,
      pushMiBps: set.totalBytes / MiB / push.value,
      pullMiBps: pulledBytes / MiB / pull.value,
      imagesPerSecond: o.images / images.value,
      manifest: manifests.value,
      memory: sampler.result(),
      cpu: {
        pushSPerGiB: push.cpu.registryS / (set.totalBytes / GiB),
        pullSPerGiB: pull.cpu.registryS / (pulledBytes / GiB),
        manifestMsPer1k: (manifests.cpu.registryS * 1e6) / Math.max(1, manifests.value.requests),
        manifestDbMsPer1k: reg.companions ? (manifests.cpu.companionS * 1e6) / Math.max(1, manifests.value.requests) : undefined,
        storePushSPerGiB: reg.storePid === undefined ? undefined : push.cpu.storeS / (set.totalBytes / GiB),
        storePullSPerGiB: reg.storePid === undefined ? undefined : pull.cpu.storeS / (pulledBytes / GiB),
        otherShare: cpuBetween(push.before, manifests.after).otherShare,
      },
    };
  } finally {
    await sampler.stop();
  }
}
