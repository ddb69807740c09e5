// What an execution copies: the rule's filters applied to the source's artifacts (this
// Berth's database for push rules, the remote's catalog and tag lists for pull rules),
// one task per artifact, each with the repository it lands in.
import type { Queryer } from '../../server/db/database.js';
import { allRepositoryNames } from '../../server/db/repositories.js';
import { localArtifacts } from '../../server/db/manifests.js';
import type { NewTask } from '../../server/db/replicationTasks.js';
import type { ReplicationEvent } from '../../server/db/replicationEvents.js';
import type { PolicyRow } from '../../server/db/replicationPolicies.js';
import type { PolicyFilter } from '../../server/lib/harborTypes.js';
import type { RegistryClient } from '../transfer/client.js';
import { destinationRepository, repositorySelected, tagsSelected } from './selection.js';

const imageConfigTypes = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);

/** Harbor's resource filter: `image` leaves out artifacts that are not container images. */
export function resourceSelected(filters: PolicyFilter[], artifactType: string | null): boolean {
  const f = filters.find((x) => x.type === 'resource');
  if (!f) return true;
  const matches = f.value === 'artifact' || artifactType === null || imageConfigTypes.has(artifactType);
  return f.decoration === 'excludes' ? !matches : matches;
}

function destination(policy: PolicyRow, repository: string): string {
  return destinationRepository(repository, policy.dest_namespace, policy.dest_namespace_replace_count);
}

/** A push rule's tasks, from this Berth's own database. */
export async function localTasks(q: Queryer, policy: PolicyRow): Promise<NewTask[]> {
  const repositories = (await allRepositoryNames(q)).filter((r) => repositorySelected(policy.filters, r));
  const tasks: NewTask[] = [];
  for (const a of await localArtifacts(q, repositories)) {
    if (!resourceSelected(policy.filters, a.artifact_type)) continue;
    const chosen = tagsSelected(policy.filters, a.tags);
    if (a.tags.length ? !chosen.tags.length : !chosen.untagged) continue;
    tasks.push({ operation: 'copy', srcRepository: a.repository, dstRepository: destination(policy, a.repository), reference: a.digest, tags: chosen.tags });
  }
  return tasks;
}

/** A pull rule's tasks, from the remote's catalog and tag lists (one task per tag). */
export async function remoteTasks(src: RegistryClient, policy: PolicyRow): Promise<NewTask[]> {
  const tasks: NewTask[] = [];
  for await (const repository of src.catalog()) {
    if (!repositorySelected(policy.filters, repository)) continue;
    const tags: string[] = [];
    for await (const tag of src.tags(repository)) tags.push(tag);
    for (const tag of tagsSelected(policy.filters, tags).tags) {
      tasks.push({ operation: 'copy', srcRepository: repository, dstRepository: destination(policy, repository), reference: tag, tags: [tag] });
    }
  }
  return tasks;
}

/** The task an event-based rule makes of a push or a deletion, if the rule selects it. */
export function eventTask(policy: PolicyRow, e: ReplicationEvent): NewTask | undefined {
  if (!repositorySelected(policy.filters, e.repository)) return undefined;
  if (e.operation === 'push' && !resourceSelected(policy.filters, e.artifact_type)) return undefined;
  if (e.operation === 'delete' && !policy.replicate_deletion) return undefined;
  const isTag = !e.reference.includes(':');
  const chosen = tagsSelected(policy.filters, isTag ? [e.reference] : []);
  if (isTag ? !chosen.tags.length : !chosen.untagged) return undefined;
  const dst = destination(policy, e.repository);
  if (e.operation === 'delete') return { operation: 'deletion', srcRepository: e.repository, dstRepository: dst, reference: e.reference, tags: [] };
  return { operation: 'copy', srcRepository: e.repository, dstRepository: dst, reference: e.digest ?? e.reference, tags: isTag ? [e.reference] : [] };
}
