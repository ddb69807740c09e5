// Blob reads and deletes through a repository. A blob is reachable only through a
// repository that holds it (repository_blobs); manifests are reachable as blobs too, as in
// Distribution, since clients may fetch an index child by its digest.
import { artifactResource, recordAudit } from '../audit/record.js';
import type { Readable } from 'node:stream';
import { findRepositoryBlob, removeRepositoryBlob } from '../db/blobs.js';
import { findManifestByDigest } from '../db/manifests.js';
import { findRepositoryId } from '../db/repositories.js';
import type { ByteRange } from '../storage/blobStore.js';
import { ObjectNotFoundError } from '../storage/blobStore.js';
import { blobKey } from '../storage/keys.js';
import { releaseUnused } from './quota.js';
import type { RegistryDeps } from './deps.js';
import { nameUnknown, RegistryError } from '../lib/registryErrors.js';
import { assertDigest, assertName, projectOf } from '../lib/references.js';

export interface BlobInfo {
  digest: string;
  size: number;
  /** Set when the "blob" is a manifest payload held in the database. */
  inline?: Buffer;
}

export async function statBlob(deps: RegistryDeps, repository: string, digest: string): Promise<BlobInfo> {
  assertName(repository);
  const parsed = assertDigest(digest);
  const found = await findRepositoryBlob(deps.db, repository, parsed.digest);
  if (!found.repository) throw nameUnknown(repository);
  if (found.size !== undefined) return { digest, size: found.size };
  const manifest = await findManifestByDigest(deps.db, repository, parsed.digest);
  if (manifest) return { digest, size: manifest.payload.length, inline: manifest.payload };
  throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} unknown to repository ${repository}`, { digest });
}

export async function readBlob(deps: RegistryDeps, info: BlobInfo, range?: ByteRange): Promise<Readable | Buffer> {
  if (info.inline) return range ? info.inline.subarray(range.start, range.end + 1) : info.inline;
  try {
    return await deps.store.read(blobKey(assertDigest(info.digest)), range);
  } catch (err) {
    // The row says the bytes exist; their absence is storage damage, not a client error.
    if (err instanceof ObjectNotFoundError) {
      throw new RegistryError('UNKNOWN', `blob ${info.digest} is recorded but its bytes are missing from storage`, undefined, { status: 500 });
    }
    throw err;
  }
}

/** Where to send a client for the blob's bytes instead of streaming them (undefined: stream them). */
export async function blobRedirect(deps: RegistryDeps, info: BlobInfo): Promise<string | undefined> {
  if (!deps.redirectBlobs || info.inline || !deps.store.redirectUrl) return undefined;
  // Long enough for a slow pull of a big layer to start; a new GET gets a new URL.
  return deps.store.redirectUrl(blobKey(assertDigest(info.digest)), 20 * 60);
}

/** Unlinks the blob from the repository. Its bytes stay until garbage collection. */
export async function deleteBlob(deps: RegistryDeps, repository: string, digest: string): Promise<void> {
  assertName(repository);
  const parsed = assertDigest(digest);
  const repositoryId = await findRepositoryId(deps.db, repository);
  if (repositoryId === undefined) throw nameUnknown(repository);
  await deps.db.tx(async (q) => {
    if (!(await removeRepositoryBlob(q, repositoryId, parsed.digest))) {
      throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} unknown to repository ${repository}`, { digest });
    }
    await releaseUnused(q, repository);
    await recordAudit(q, {
      operation: 'delete',
      resourceType: 'blob',
      resource: artifactResource(repository, parsed.digest),
      projectName: projectOf(repository),
    });
  });
}
