// Charging project storage quotas for registry writes. A blob is charged to a project
// once, when it is first linked into any of the project's repositories, inside the linking
// transaction and under a lock on the project row: two concurrent pushes racing for the
// last bytes cannot both win.
import type { Queryer } from '../db/database.js';
import { hasProjectBlob, lockProjectQuota, recomputeProjectUsage, saveProjectBlob } from '../db/quotas.js';
import { projectOf } from '../lib/references.js';
import { RegistryError } from '../lib/registryErrors.js';

function mib(bytes: number): string {
  return bytes < 1024 * 1024 ? `${bytes} bytes` : `${(bytes / 1024 / 1024).toFixed(1)} MiB (${bytes} bytes)`;
}

/** Charges a blob newly linked into `repository` to its project; throws DENIED past the limit. */
export async function chargeBlob(q: Queryer, repository: string, digest: string, size: number): Promise<void> {
  const projectName = projectOf(repository);
  if (!projectName) return;
  const project = await lockProjectQuota(q, projectName);
  if (!project || (await hasProjectBlob(q, project.id, digest))) return;
  if (project.storage_limit >= 0 && project.storage_used + size > project.storage_limit) {
    const over = project.storage_used + size - project.storage_limit;
    throw new RegistryError(
      'DENIED',
      `quota exceeded: adding ${mib(size)} to project ${projectName} (using ${mib(project.storage_used)}) would exceed its limit of ${mib(project.storage_limit)} by ${mib(over)}`,
      { project: projectName, limit: project.storage_limit, used: project.storage_used, requested: size, over },
    );
  }
  await saveProjectBlob(q, project.id, digest, size);
}

/** Refuses a manifest push while the project is over its (possibly lowered) limit. */
export async function checkWithinQuota(q: Queryer, repository: string): Promise<void> {
  const projectName = projectOf(repository);
  if (!projectName) return;
  const project = await lockProjectQuota(q, projectName);
  if (project && project.storage_limit >= 0 && project.storage_used > project.storage_limit) {
    throw new RegistryError(
      'DENIED',
      `quota exceeded: project ${projectName} uses ${mib(project.storage_used)} of its ${mib(project.storage_limit)} limit; delete something or raise the quota`,
      {
        project: projectName,
        limit: project.storage_limit,
        used: project.storage_used,
        over: project.storage_used - project.storage_limit,
      },
    );
  }
}

/** After unlinking blobs: usage becomes exact again. */
export async function releaseUnused(q: Queryer, repository: string): Promise<void> {
  const projectName = projectOf(repository);
  if (projectName) await recomputeProjectUsage(q, projectName);
}
