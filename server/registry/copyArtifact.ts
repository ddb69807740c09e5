// Copies an artifact from one repository into another of this registry (Harbor's
// POST .../artifacts?from=): its blobs are linked, not rewritten, the manifests are stored
// byte for byte (children of an index first), and the tag, when the source was named by
// one, comes last. Each step is the same one a client's push takes (mount, manifest PUT),
// with its quota charge, audit row and replication event.
import type { RegistryDeps } from './deps.js';
import { RegistryError } from '../lib/registryErrors.js';
import { parseManifest } from './manifestParser.js';
import { getManifest, putManifest } from './manifests.js';
import { mountBlob } from './uploads.js';

// An index of indexes of manifests is as deep as real artifacts go; deeper is refused.
const maxDepth = 4;

async function copyManifest(deps: RegistryDeps, source: string, target: string, reference: string, depth: number): Promise<string> {
  if (depth > maxDepth) throw new RegistryError('MANIFEST_INVALID', `an index nests deeper than ${maxDepth} levels`);
  const stored = await getManifest(deps, source, reference);
  const parsed = parseManifest(stored.payload, stored.mediaType);
  for (const child of parsed.childDigests) await copyManifest(deps, source, target, child, depth + 1);
  for (const blob of parsed.blobDigests) {
    if (!(await mountBlob(deps, target, blob, source)))
      throw new RegistryError('BLOB_UNKNOWN', `blob ${blob} of ${source}@${stored.digest} is not in ${source}`, { digest: blob });
  }
  // A tag is given only for the artifact asked for; its children go by digest.
  const saved = await putManifest(deps, target, depth === 0 && !reference.includes(':') ? reference : stored.digest, stored.mediaType, stored.payload);
  return saved.digest;
}

/** Copies `source`:`reference` (a tag or a digest) into `target`; returns the artifact's digest. */
export function copyArtifact(deps: RegistryDeps, source: string, reference: string, target: string): Promise<string> {
  return copyManifest(deps, source, target, reference, 0);
}
