// Tag lists, the catalog and the referrers index: the read-only listings of /v2.
import { listReferrers } from '../db/manifests.js';
import { findRepositoryId, listRepositoryNames } from '../db/repositories.js';
import { listTagNames } from '../db/tags.js';
import type { RegistryDeps } from './deps.js';
import { nameUnknown } from '../lib/registryErrors.js';
import { mediaTypes } from './mediaTypes.js';
import { assertDigest, assertName } from '../lib/references.js';

/** The most entries one tags/list or _catalog page returns; larger `n` is clamped to it. */
export const maxPageSize = 1000;

export interface Page {
  items: string[];
  /** The `last` value for the next page, when there may be one. */
  next?: string;
}

function pageOf(rows: string[], n: number): Page {
  const items = rows.slice(0, n);
  return { items, next: rows.length > n ? items[items.length - 1] : undefined };
}

export async function listTags(deps: RegistryDeps, repository: string, n: number | undefined, last: string | undefined): Promise<Page> {
  assertName(repository);
  const repositoryId = await findRepositoryId(deps.db, repository);
  if (repositoryId === undefined) throw nameUnknown(repository);
  const size = Math.min(n ?? maxPageSize, maxPageSize);
  if (size === 0) return { items: [] };
  return pageOf(await listTagNames(deps.db, repositoryId, last, size + 1), size);
}

export async function listRepositories(deps: RegistryDeps, n: number | undefined, last: string | undefined): Promise<Page> {
  const size = Math.min(n ?? maxPageSize, maxPageSize);
  if (size === 0) return { items: [] };
  return pageOf(await listRepositoryNames(deps.db, last, size + 1), size);
}

export interface ReferrersIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Array<{ mediaType: string; digest: string; size: number; artifactType?: string; annotations?: Record<string, string> }>;
}

export async function referrers(deps: RegistryDeps, repository: string, subject: string, artifactType?: string): Promise<ReferrersIndex> {
  assertName(repository);
  const parsed = assertDigest(subject);
  const rows = await listReferrers(deps.db, repository, parsed.digest, artifactType);
  return {
    schemaVersion: 2,
    mediaType: mediaTypes.ociIndex,
    manifests: rows.map((r) => ({
      mediaType: r.media_type,
      digest: r.digest,
      size: r.size,
      ...(r.artifact_type ? { artifactType: r.artifact_type } : {}),
      ...(r.annotations ? { annotations: r.annotations } : {}),
    })),
  };
}
