// Harbor's extra_attrs of an artifact: what its config blob says. An image gets the
// config's architecture, os, config, created and author (Harbor's image processor); any
// other artifact whose config is a small JSON document gets that document (Harbor's
// default processor); an index, an empty config or anything else gets {}.
import type { BlobStore } from '../storage/blobStore.js';
import { blobKey } from '../storage/keys.js';
import { mediaTypes } from './mediaTypes.js';
import { parseDigest } from '../lib/references.js';

// Configs are a few KiB; one past this is not read for a listing.
const maxConfigBytes = 1024 * 1024;
const imageConfigTypes: ReadonlySet<string> = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);

type ConfigDescriptor = { mediaType?: unknown; digest?: unknown; size?: unknown };

function configOf(payload: Buffer): ConfigDescriptor | undefined {
  try {
    const doc = JSON.parse(payload.toString('utf8')) as { config?: ConfigDescriptor };
    return doc.config && typeof doc.config === 'object' ? doc.config : undefined;
  } catch {
    return undefined;
  }
}

async function readJson(store: Pick<BlobStore, 'read'>, digest: string): Promise<unknown> {
  const parsed = parseDigest(digest);
  if (!parsed) return undefined;
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of await store.read(blobKey(parsed))) {
    total += (chunk as Buffer).length;
    if (total > maxConfigBytes) return undefined; // leaving the loop ends the stream
    parts.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(parts, total).toString('utf8'));
}

/** The artifact's extra attributes, from the manifest bytes as stored. Never throws. */
export async function extraAttributes(store: Pick<BlobStore, 'read'>, manifestPayload: Buffer): Promise<Record<string, unknown>> {
  const config = configOf(manifestPayload);
  if (!config || typeof config.digest !== 'string' || typeof config.mediaType !== 'string') return {};
  if (config.mediaType === mediaTypes.ociEmpty || typeof config.size !== 'number' || config.size > maxConfigBytes || config.size < 3) return {};
  if (!/(^application\/json$)|(\+json$)/.test(config.mediaType)) return {};
  try {
    const doc = await readJson(store, config.digest);
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return {};
    if (!imageConfigTypes.has(config.mediaType)) return doc as Record<string, unknown>;
    const image = doc as Record<string, unknown>;
    return { architecture: image.architecture, os: image.os, config: image.config ?? {}, created: image.created ?? null, author: image.author ?? '' };
  } catch {
    // A config that is gone or not JSON says nothing; the artifact is still listed.
    return {};
  }
}
