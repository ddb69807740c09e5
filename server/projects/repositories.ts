// The repositories and artifacts of a project, as Harbor's API shows them, with the
// permission checks of the project the repository belongs to.
import { DomainError } from '../lib/errors.js';
import { recordAudit } from '../audit/record.js';
import type { Paging } from '../lib/query.js';
import type { Principal } from '../lib/principal.js';
import type { Database } from '../db/database.js';
import { findArtifact, listArtifacts, type ArtifactRow } from '../db/manifests.js';
import {
  findRepository,
  listProjectRepositories,
  listVisibleRepositories,
  removeRepository,
  updateRepositoryDescription,
  type RepositoryRow,
} from '../db/repositories.js';
import { deleteManifest } from '../registry/manifests.js';
import { addTag, removeTag } from '../registry/tags.js';
import { manifestKinds } from '../registry/mediaTypes.js';
import { extraAttributes } from '../registry/artifactAttributes.js';
import { copyArtifact } from '../registry/copyArtifact.js';
import type { RegistryDeps } from '../registry/deps.js';
import type { BlobStore } from '../storage/blobStore.js';
import { neverTime } from '../lib/times.js';
import { isTag, isValidName, parseDigest, projectOf } from '../lib/references.js';
import { can, type Action, type Resource } from './permissions.js';
import { releaseUnused } from '../registry/quota.js';
import { visibleProject } from './projects.js';
import type { ArtifactView, Platform, ProjectView, RepositoryView } from '../lib/harborTypes.js';
import { enabledRulesOfRepository, type ImmutableRuleRow } from '../db/immutableRules.js';
import { immutableBy } from '../registry/immutability.js';
import { scanOverviews } from '../scanning/overview.js';
import { isScannable } from '../scanning/scannable.js';

function repositoryView(r: RepositoryRow, projectId: number): RepositoryView {
  return {
    id: r.id,
    name: r.name,
    project_id: projectId,
    description: r.description,
    artifact_count: r.artifact_count,
    pull_count: r.pull_count,
    creation_time: new Date(r.created_at).toISOString(),
    update_time: new Date(r.updated_at ?? r.created_at).toISOString(),
  };
}

/** The project (visible to the caller) and a check that the caller holds resource:action in it. */
async function inProject(db: Database, principal: Principal, projectName: string, resource: Resource, action: Action) {
  const { project, access } = await visibleProject(db, principal, projectName, true);
  if (!can(access, resource, action)) {
    throw new DomainError(principal.kind === 'anonymous' ? 'UNAUTHENTICATED' : 'DENIED', `${resource} ${action} in ${project.name} is not allowed for you`);
  }
  return project;
}

async function repositoryIn(db: Database, projectName: string, repositoryName: string): Promise<RepositoryRow> {
  const full = `${projectName}/${repositoryName}`;
  const repo = isValidName(full) ? await findRepository(db, full) : undefined;
  if (!repo) throw new DomainError('NOT_FOUND', `repository ${full.slice(0, 300)} not found`);
  return repo;
}

export async function listRepositories(db: Database, principal: Principal, projectName: string, nameContains: string | undefined, paging: Paging) {
  const project = await inProject(db, principal, projectName, 'repository', 'list');
  const { rows, total } = await listProjectRepositories(db, project.name, nameContains, paging.pageSize, paging.offset);
  return { items: rows.map((r) => repositoryView(r, project.project_id)), total };
}

export async function getRepository(db: Database, principal: Principal, projectName: string, repositoryName: string): Promise<RepositoryView> {
  const project = await inProject(db, principal, projectName, 'repository', 'list');
  return repositoryView(await repositoryIn(db, project.name, repositoryName), project.project_id);
}

/** GET /repositories: every repository the caller may see, across projects (Harbor's listAllRepositories). */
export async function listAllRepositories(db: Database, principal: Principal, nameContains: string | undefined, paging: Paging) {
  const sysadmin = principal.kind === 'user' && principal.sysadmin;
  if (principal.kind === 'robot') throw new DomainError('DENIED', 'robot accounts list the repositories of their projects');
  const visibleTo = sysadmin ? undefined : principal.kind === 'user' ? principal.id : null;
  const { rows, total } = await listVisibleRepositories(db, visibleTo, nameContains, paging.pageSize, paging.offset);
  return { items: rows.map((r) => repositoryView(r, r.project_id)), total };
}

/**
 * POST …/repositories/{r}/artifacts?from=<project>/<repository>:<tag>|@<digest> (Harbor's
 * CopyArtifact): needs artifact read on the source and artifact create on the target.
 */
export async function copyArtifactInto(
  deps: RegistryDeps,
  principal: Principal,
  projectName: string,
  repositoryName: string,
  from: string | undefined,
): Promise<{ repository: string; digest: string }> {
  const m = from ? /^(?<repo>[^:@]+)(?::(?<tag>[^:@]+)|@(?<digest>[^@]+))$/.exec(from) : null;
  if (!m?.groups) throw new DomainError('INVALID', 'from is <project>/<repository>:<tag> or <project>/<repository>@<digest>');
  const source = m.groups.repo;
  const reference = m.groups.tag ?? m.groups.digest;
  const sourceProject = projectOf(source);
  if (!isValidName(source) || !sourceProject || !(m.groups.tag ? isTag(reference) : parseDigest(reference))) {
    throw new DomainError('INVALID', `from names no artifact: ${from!.slice(0, 300)}`);
  }
  const target = await inProject(deps.db, principal, projectName, 'artifact', 'create');
  await inProject(deps.db, principal, sourceProject, 'artifact', 'read');
  const repository = `${target.name}/${repositoryName}`;
  if (!isValidName(repository)) throw new DomainError('INVALID', `invalid repository name ${repository.slice(0, 300)}`);
  return { repository, digest: await copyArtifact(deps, source, reference, repository) };
}

/** PUT /projects/{p}/repositories/{r} {description}: those who may update the repository. */
export async function updateRepository(
  db: Database,
  principal: Principal,
  projectName: string,
  repositoryName: string,
  input: { description?: unknown },
): Promise<void> {
  const project = await inProject(db, principal, projectName, 'repository', 'update');
  const repo = await repositoryIn(db, project.name, repositoryName);
  if (typeof input.description !== 'string' || input.description.length > 65_536)
    throw new DomainError('INVALID', 'description must be a string of at most 65536 characters');
  const description = input.description;
  await db.tx(async (q) => {
    await updateRepositoryDescription(q, repo.id, description);
    await recordAudit(q, {
      operation: 'update',
      resourceType: 'repository',
      resource: `${repo.name} description`,
      projectName: project.name,
      projectId: project.project_id,
    });
  });
}

/** Deletes a repository with its artifacts and tags (project admins and maintainers). */
export async function deleteRepository(db: Database, principal: Principal, projectName: string, repositoryName: string): Promise<void> {
  const project = await inProject(db, principal, projectName, 'repository', 'delete');
  const repo = await repositoryIn(db, project.name, repositoryName);
  await db.tx(async (q) => {
    await removeRepository(q, repo.id);
    await releaseUnused(q, repo.name);
    await recordAudit(q, { operation: 'delete', resourceType: 'repository', resource: repo.name, projectName: project.name, projectId: project.project_id });
  });
}

const timeOrNever = (t: Date | string | null) => (t ? new Date(t).toISOString() : neverTime);

function artifactView(a: ArtifactRow, projectId: number, repo: RepositoryRow, extra: Record<string, unknown>, rules: ImmutableRuleRow[]): ArtifactView {
  const isIndex = manifestKinds[a.media_type] === 'index';
  let references: ArtifactView['references'] = [];
  let configType: string | undefined;
  try {
    const doc = JSON.parse(a.payload.toString('utf8'));
    if (isIndex && Array.isArray(doc.manifests)) {
      references = doc.manifests.map((m: { digest: string; platform?: Platform }) => ({
        child_digest: m.digest,
        ...(m.platform ? { platform: m.platform } : {}),
      }));
    }
    configType = doc.config?.mediaType;
  } catch {
    /* stored payloads were validated JSON on push */
  }
  // Harbor's coarse type: images, indexes of images, and everything else by its config.
  const type = isIndex || /image\.config|container\.image/.test(configType ?? '') ? 'IMAGE' : /helm/.test(a.artifact_type ?? '') ? 'CHART' : 'UNKNOWN';
  return {
    id: a.id,
    type,
    digest: a.digest,
    media_type: configType ?? a.media_type,
    manifest_media_type: a.media_type,
    artifact_type: a.artifact_type,
    subject_digest: a.subject_digest,
    project_id: projectId,
    repository_id: repo.id,
    repository_name: repo.name,
    size: a.payload.length + Number(a.blobs_size) + Number(a.children_size),
    push_time: new Date(a.created_at).toISOString(),
    pull_time: timeOrNever(a.pull_time),
    annotations: a.annotations ?? {},
    addition_links: {},
    extra_attrs: extra,
    tags: (a.tags ?? []).map((t) => ({
      id: t.id,
      name: t.name,
      repository_id: repo.id,
      artifact_id: a.id,
      push_time: new Date(t.push_time).toISOString(),
      pull_time: timeOrNever(t.pull_time),
      immutable: immutableBy(rules, repo.name, t.name) !== undefined,
    })),
    references,
  };
}

/** What the artifact services read: the database, and config blobs for extra_attrs. */
export interface ArtifactDeps {
  db: Database;
  store: Pick<BlobStore, 'read'>;
}

export interface ArtifactViewOptions {
  /** Harbor's with_scan_overview=true. */
  withScanOverview?: boolean;
}

async function artifactViews(
  deps: ArtifactDeps,
  rows: ArtifactRow[],
  projectId: number,
  repo: RepositoryRow,
  opts: ArtifactViewOptions = {},
): Promise<ArtifactView[]> {
  const [extras, rules, overviews] = await Promise.all([
    Promise.all(rows.map((a) => extraAttributes(deps.store, a.payload))),
    enabledRulesOfRepository(deps.db, repo.name),
    opts.withScanOverview
      ? scanOverviews(
          deps.db,
          rows.map((a) => a.id),
        )
      : undefined,
  ]);
  return rows.map((a, i) => {
    const v = artifactView(a, projectId, repo, extras[i], rules);
    if (isScannable(a.media_type, a.payload) || manifestKinds[a.media_type] === 'index') {
      const [project, ...rest] = repo.name.split('/');
      v.addition_links = {
        vulnerabilities: {
          href: `/api/v2.0/projects/${project}/repositories/${encodeURIComponent(encodeURIComponent(rest.join('/')))}/artifacts/${a.digest}/additions/vulnerabilities`,
          absolute: false,
        },
      };
    }
    const overview = overviews?.get(a.id);
    if (opts.withScanOverview) v.scan_overview = overview ?? {};
    return v;
  });
}

export async function listRepositoryArtifacts(
  deps: ArtifactDeps,
  principal: Principal,
  projectName: string,
  repositoryName: string,
  paging: Paging,
  opts: ArtifactViewOptions = {},
) {
  const project = await inProject(deps.db, principal, projectName, 'artifact', 'list');
  const repo = await repositoryIn(deps.db, project.name, repositoryName);
  const { rows, total } = await listArtifacts(deps.db, repo.id, paging.pageSize, paging.offset);
  return { items: await artifactViews(deps, rows, project.project_id, repo, opts), total };
}

function parseArtifactRef(reference: string): { digest?: string; tag?: string } {
  if (parseDigest(reference)) return { digest: reference };
  if (isTag(reference)) return { tag: reference };
  throw new DomainError('INVALID', `reference must be a tag or a digest: ${reference.slice(0, 200)}`);
}

export async function getArtifact(
  deps: ArtifactDeps,
  principal: Principal,
  projectName: string,
  repositoryName: string,
  reference: string,
  opts: ArtifactViewOptions = {},
): Promise<ArtifactView> {
  const project = await inProject(deps.db, principal, projectName, 'artifact', 'read');
  const { row, repo } = await artifactIn(deps.db, project, repositoryName, reference);
  return (await artifactViews(deps, [row], project.project_id, repo, opts))[0];
}

async function artifactIn(db: Database, project: ProjectView, repositoryName: string, reference: string): Promise<{ row: ArtifactRow; repo: RepositoryRow }> {
  const repo = await repositoryIn(db, project.name, repositoryName);
  const ref = parseArtifactRef(reference);
  const a = await findArtifact(db, repo.id, ref.digest, ref.tag);
  if (!a) throw new DomainError('NOT_FOUND', `artifact ${reference.slice(0, 200)} not found in ${repo.name}`);
  return { row: a, repo };
}

/** An artifact the caller may do resource:action on (the scan routes use it), with its project and repository. */
export async function artifactFor(
  db: Database,
  principal: Principal,
  place: { project: string; repository: string; reference: string },
  resource: Resource,
  action: Action,
): Promise<{ project: ProjectView; repo: RepositoryRow; row: ArtifactRow }> {
  const project = await inProject(db, principal, place.project, resource, action);
  return { project, ...(await artifactIn(db, project, place.repository, place.reference)) };
}

/** The artifact as the tag operations need it: its tags and ids, no config read (extra_attrs stay empty). */
async function taggedArtifact(db: Database, project: ProjectView, repositoryName: string, reference: string): Promise<ArtifactView> {
  const { row, repo } = await artifactIn(db, project, repositoryName, reference);
  return artifactView(row, project.project_id, repo, {}, await enabledRulesOfRepository(db, repo.name));
}

/** Deletes an artifact (its manifest and every tag on it), as DELETE /v2/…/manifests/<digest> does. */
export async function deleteArtifact(
  deps: Pick<RegistryDeps, 'db'>,
  principal: Principal,
  projectName: string,
  repositoryName: string,
  reference: string,
): Promise<void> {
  const project = await inProject(deps.db, principal, projectName, 'artifact', 'delete');
  const repo = await repositoryIn(deps.db, project.name, repositoryName);
  const ref = parseArtifactRef(reference);
  const a = await findArtifact(deps.db, repo.id, ref.digest, ref.tag);
  if (!a) throw new DomainError('NOT_FOUND', `artifact ${reference.slice(0, 200)} not found in ${repo.name}`);
  await deleteManifest(deps, repo.name, a.digest, project.project_id);
}

/** GET …/artifacts/{reference}/tags: one page of the artifact's tags by name, with the total. */
export async function listArtifactTags(db: Database, principal: Principal, projectName: string, repositoryName: string, reference: string, paging: Paging) {
  const project = await inProject(db, principal, projectName, 'tag', 'list');
  // An artifact's tags are already read with it, in name order; a page is a slice of them.
  const tags = (await taggedArtifact(db, project, repositoryName, reference)).tags;
  return { items: tags.slice(paging.offset, paging.offset + paging.pageSize), total: tags.length };
}

/** POST …/artifacts/{reference}/tags {name}: a new tag on this artifact (409 if the name is taken). */
export async function createArtifactTag(
  db: Database,
  principal: Principal,
  projectName: string,
  repositoryName: string,
  reference: string,
  input: { name?: unknown },
): Promise<string> {
  const project = await inProject(db, principal, projectName, 'tag', 'create');
  const artifact = await taggedArtifact(db, project, repositoryName, reference);
  if (typeof input.name !== 'string' || !isTag(input.name)) throw new DomainError('INVALID', 'name must be a valid tag ([a-zA-Z0-9_][a-zA-Z0-9._-]{0,127})');
  // Harbor refuses to move an existing tag through this endpoint; a push moves tags.
  if (await findArtifact(db, artifact.repository_id, undefined, input.name))
    throw new DomainError('CONFLICT', `tag ${input.name} already exists in ${artifact.repository_name}`);
  const tag = input.name;
  await addTag(db, { repository: artifact.repository_name, repositoryId: artifact.repository_id, projectId: project.project_id }, tag, artifact);
  return tag;
}

/** DELETE …/artifacts/{reference}/tags/{tag_name}: removes the tag only; the artifact stays. */
export async function deleteArtifactTag(
  db: Database,
  principal: Principal,
  projectName: string,
  repositoryName: string,
  reference: string,
  tag: string,
): Promise<void> {
  const project = await inProject(db, principal, projectName, 'tag', 'delete');
  const artifact = await taggedArtifact(db, project, repositoryName, reference);
  if (!artifact.tags.some((t) => t.name === tag)) throw new DomainError('NOT_FOUND', `tag ${tag.slice(0, 200)} not found on ${reference.slice(0, 200)}`);
  await removeTag(db, { repository: artifact.repository_name, repositoryId: artifact.repository_id, projectId: project.project_id }, tag, artifact.digest);
}
