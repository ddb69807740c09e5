// Tag writes that the rest of Berth must hear of: each change commits with its replication
// event and its audit row in one transaction. /v2 (a tag DELETE) and the management API
// (adding and removing a tag on an artifact) both come here, so a hook on tag writes
// (immutability, GC review) has one place to go.
import { artifactResource, recordAudit } from '../audit/record.js';
import type { Database } from '../db/database.js';
import { queueReplicationEvent } from '../db/replicationEvents.js';
import { lockManifest } from '../db/manifests.js';
import { lockTag, removeTag as removeTagRow, saveTag } from '../db/tags.js';
import { refuseImmutable } from './immutability.js';
import { RegistryError } from '../lib/registryErrors.js';
import { projectOf } from '../lib/references.js';

/** The repository a tag lives in, with its project id when the caller already has it. */
export interface TagPlace {
  repository: string;
  repositoryId: number;
  projectId?: number;
}

/** Points `tag` at the manifest (creating or moving the tag). */
export async function addTag(
  db: Database,
  place: TagPlace,
  tag: string,
  manifest: { id: number; digest: string; artifactType?: string | null },
): Promise<void> {
  await db.tx(async (q) => {
    // Held, so garbage collection cannot take the manifest before the tag points at it.
    if ((await lockManifest(q, place.repositoryId, manifest.digest)) === undefined) {
      throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${manifest.digest} unknown to repository ${place.repository}`, { reference: manifest.digest });
    }
    const moving = await lockTag(q, place.repositoryId, tag);
    if (moving !== undefined && moving !== Number(manifest.id)) await refuseImmutable(q, place.repository, [tag], 'move it');
    await saveTag(q, place.repositoryId, tag, manifest.id);
    await queueReplicationEvent(q, {
      operation: 'push',
      repository: place.repository,
      reference: tag,
      digest: manifest.digest,
      artifact_type: manifest.artifactType ?? null,
    });
    await recordAudit(q, {
      operation: 'create',
      resourceType: 'tag',
      resource: artifactResource(place.repository, manifest.digest, tag),
      projectName: projectOf(place.repository),
      projectId: place.projectId,
    });
  });
}

/**
 * Removes the tag only; the manifest stays. `digest` is the manifest it named, when known,
 * for the audit row. Throws MANIFEST_UNKNOWN when there is no such tag (also when another
 * request removed it first).
 */
export async function removeTag(db: Database, place: TagPlace, tag: string, digest?: string): Promise<void> {
  await db.tx(async (q) => {
    if ((await lockTag(q, place.repositoryId, tag)) !== undefined) await refuseImmutable(q, place.repository, [tag], 'delete it');
    if (!(await removeTagRow(q, place.repositoryId, tag))) {
      throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${tag} unknown to repository ${place.repository}`, { reference: tag });
    }
    await queueReplicationEvent(q, { operation: 'delete', repository: place.repository, reference: tag, digest: null, artifact_type: null });
    await recordAudit(q, {
      operation: 'delete',
      resourceType: 'tag',
      resource: artifactResource(place.repository, digest, tag),
      projectName: projectOf(place.repository),
      projectId: place.projectId,
    });
  });
}
