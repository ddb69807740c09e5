// Manifest push, pull and delete. A manifest is accepted only if every blob and child it
// references is already in the repository; its stored bytes are exactly the bytes received.
import { artifactResource, recordAudit } from '../audit/record.js';
import { queueReplicationEvent } from '../db/replicationEvents.js';
import { lockRepositoryBlobs } from '../db/blobs.js';
import {
  findManifestByDigest,
  findManifestByTag,
  lockManifestDigests,
  lockManifestForDelete,
  removeManifest,
  saveManifest,
  type ManifestRow,
} from '../db/manifests.js';
import { findRepositoryId, saveRepository } from '../db/repositories.js';
import { saveTag } from '../db/tags.js';
import { removeTag } from './tags.js';
import { checkWithinQuota } from './quota.js';
import type { RegistryDeps } from './deps.js';
import { nameUnknown, RegistryError } from '../lib/registryErrors.js';
import { digestOf } from './hashing.js';
import { parseManifest } from './manifestParser.js';
import { maxManifestBytes } from './mediaTypes.js';
import { assertName, parseReadReference, parseReference, projectOf } from '../lib/references.js';
import { lockTag, tagNamesOf } from '../db/tags.js';
import { firstImmutable, refuseImmutable } from './immutability.js';
import { enabledRulesOfRepository } from '../db/immutableRules.js';
import { isIndexChild } from '../db/retention.js';
import type { Database, Queryer } from '../db/database.js';
import type { AuditEvent } from '../audit/record.js';
import type { TagPlace } from './tags.js';
import { queueScanOnPush } from '../scanning/onPush.js';

export interface StoredManifest {
  id: number;
  digest: string;
  mediaType: string;
  payload: Buffer;
  subjectDigest?: string;
}

function toStored(row: ManifestRow): StoredManifest {
  return { id: row.id, digest: row.digest, mediaType: row.media_type, payload: row.payload, subjectDigest: row.subject_digest ?? undefined };
}

export async function getManifest(deps: RegistryDeps, repository: string, reference: string): Promise<StoredManifest> {
  assertName(repository);
  const ref = parseReadReference(reference);
  const row = 'tag' in ref ? await findManifestByTag(deps.db, repository, ref.tag) : await findManifestByDigest(deps.db, repository, ref.digest.digest);
  if (row) return toStored(row);
  // Tell "no such repository" from "no such manifest" only on the (rare) miss path.
  if ((await findRepositoryId(deps.db, repository)) === undefined) throw nameUnknown(repository);
  throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${reference} unknown to repository ${repository}`, { reference });
}

export async function putManifest(
  deps: RegistryDeps,
  repository: string,
  reference: string,
  contentType: string,
  payload: Buffer,
): Promise<{ digest: string; subjectDigest?: string }> {
  assertName(repository);
  const ref = parseReference(reference);
  if (payload.length > maxManifestBytes) {
    throw new RegistryError('SIZE_INVALID', `manifest is ${payload.length} bytes; the limit is ${maxManifestBytes}`, undefined, { status: 413 });
  }
  const digest = digestOf(payload, 'digest' in ref ? ref.digest.algorithm : 'sha256');
  if ('digest' in ref && ref.digest.digest !== digest) {
    throw new RegistryError('DIGEST_INVALID', `manifest content has digest ${digest}, not ${ref.digest.digest}`, { digest: ref.digest.digest });
  }
  const parsed = parseManifest(payload, contentType);
  await deps.db.tx(async (q) => {
    await checkWithinQuota(q, repository);
    const repositoryId = await saveRepository(q, repository);
    const held = await lockRepositoryBlobs(q, repositoryId, parsed.blobDigests);
    const missingBlobs = parsed.blobDigests.filter((d) => !held.has(d));
    if (missingBlobs.length) {
      throw new RegistryError('MANIFEST_BLOB_UNKNOWN', `manifest references blobs not in repository ${repository}: ${missingBlobs.join(', ')}`, {
        digests: missingBlobs,
      });
    }
    const children = await lockManifestDigests(q, repositoryId, parsed.childDigests);
    const missingChildren = parsed.childDigests.filter((d) => !children.has(d));
    if (missingChildren.length) {
      throw new RegistryError(
        'MANIFEST_UNKNOWN',
        `index references manifests not in repository ${repository}: ${missingChildren.join(', ')}`,
        { digests: missingChildren },
        { status: 400 },
      );
    }
    const moving = 'tag' in ref ? await lockTag(q, repositoryId, ref.tag) : undefined;
    const manifestId = await saveManifest(q, {
      repositoryId,
      digest,
      mediaType: parsed.mediaType,
      artifactType: parsed.artifactType,
      subjectDigest: parsed.subjectDigest,
      annotations: parsed.annotations,
      payload,
      blobDigests: parsed.blobDigests,
      childDigests: parsed.childDigests,
    });
    if ('tag' in ref) {
      if (moving !== undefined && Number(moving) !== Number(manifestId)) await refuseImmutable(q, repository, [ref.tag], 'move it');
      await saveTag(q, repositoryId, ref.tag, manifestId);
    }
    // Untagged children of an index travel with their parent; tags and referrers are events.
    if ('tag' in ref || parsed.subjectDigest) {
      await queueReplicationEvent(q, {
        operation: 'push',
        repository,
        reference: 'tag' in ref ? ref.tag : digest,
        digest,
        artifact_type: parsed.artifactType ?? null,
      });
    }
    await queueScanOnPush(q, projectOf(repository) ?? '', { id: manifestId, mediaType: parsed.mediaType, payload });
    await recordAudit(q, {
      operation: 'create',
      resourceType: 'artifact',
      resource: artifactResource(repository, digest, 'tag' in ref ? ref.tag : undefined),
      projectName: projectOf(repository),
    });
  });
  return { digest, subjectDigest: parsed.subjectDigest };
}

/**
 * Deletes by digest (the manifest and its tags) or by tag (the tag only), with its
 * replication event and audit row: /v2's DELETE and the management API's artifact delete.
 * `projectId` spares the audit row a lookup when the caller has it.
 */
export async function deleteManifest(deps: Pick<RegistryDeps, 'db'>, repository: string, reference: string, projectId?: number): Promise<void> {
  assertName(repository);
  const ref = parseReadReference(reference);
  const repositoryId = await findRepositoryId(deps.db, repository);
  if (repositoryId === undefined) throw nameUnknown(repository);
  if ('tag' in ref) return removeTag(deps.db, { repository, repositoryId, projectId }, ref.tag);
  const digest = ref.digest.digest;
  await deps.db.tx(async (q) => {
    await refuseImmutable(q, repository, await tagNamesOf(q, repositoryId, digest), 'delete the artifact it names');
    if (!(await removeArtifact(q, { repository, repositoryId, projectId }, digest))) {
      throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${reference} unknown to repository ${repository}`, { reference });
    }
  });
}

/** The manifest, its tags (by cascade), its replication event and its audit row. */
async function removeArtifact(q: Queryer, place: TagPlace, digest: string, actor?: AuditEvent['actor']): Promise<boolean> {
  if (!(await removeManifest(q, place.repositoryId, digest))) return false;
  await queueReplicationEvent(q, { operation: 'delete', repository: place.repository, reference: digest, digest, artifact_type: null });
  await recordAudit(q, {
    operation: 'delete',
    resourceType: 'artifact',
    resource: artifactResource(place.repository, digest),
    projectName: projectOf(place.repository),
    projectId: place.projectId,
    actor,
  });
  return true;
}

/**
 * Tag retention's delete: the artifact by digest, only while it is as it was weighed, so
 * nothing is deleted by surprise. Locked against every writer first, then it must still
 * carry exactly `tags` (a tag pushed onto it since keeps it), be no index's child, and
 * carry no immutable tag. Returns why it was kept, or undefined when it was deleted.
 */
export async function retireManifest(db: Database, place: TagPlace, digest: string, tags: string[], actor: AuditEvent['actor']): Promise<string | undefined> {
  return db.tx(async (q) => {
    if ((await lockManifestForDelete(q, place.repositoryId, digest)) === undefined) return 'already deleted';
    const now = await tagNamesOf(q, place.repositoryId, digest);
    if (now.join('\n') !== [...tags].sort().join('\n')) return `its tags changed since it was weighed (now ${now.join(',') || 'none'})`;
    if (await isIndexChild(q, place.repositoryId, digest)) return 'an index now lists it';
    const hit = firstImmutable(await enabledRulesOfRepository(q, place.repository), place.repository, now);
    if (hit) return `tag ${hit.tag} is immutable (rule ${hit.rule.id})`;
    await removeArtifact(q, place, digest, actor);
    return undefined;
  });
}
