// A project's repositories and a repository's artifacts and tags: the paths (the
// repository's name below its project is encoded twice, as Harbor's API wants) and the keys.
import type { ArtifactView, RepositoryView } from '@berth/api-types';
import { del, getPage, listQuery, post } from './client';

export const repositoryKeys = {
  list: (project: string, p: { page: number; name: string }) => ['repositories', project, p.page, p.name] as const,
};

export function listRepositories(project: string, p: { name?: string; page: number; pageSize: number }) {
  return getPage<RepositoryView>(`/projects/${encodeURIComponent(project)}/repositories?${listQuery(p)}`);
}

/** Keyed by the repository's full name, `project/repository`. */
export const artifactKeys = {
  repository: (name: string) => ['artifacts', name] as const,
  list: (name: string, page: number) => ['artifacts', name, page] as const,
};

/** `repository` is the name below the project, as the console's address holds it. */
const artifactsPath = (project: string, repository: string) =>
  `/projects/${encodeURIComponent(project)}/repositories/${encodeURIComponent(encodeURIComponent(repository))}/artifacts`;

/** With each artifact's scan overview (Harbor's with_scan_overview). */
export function listArtifacts(project: string, repository: string, p: { page: number; pageSize: number }) {
  return getPage<ArtifactView>(`${artifactsPath(project, repository)}?page=${p.page}&page_size=${p.pageSize}&with_scan_overview=true`);
}

export function deleteArtifact(project: string, repository: string, digest: string) {
  return del(`${artifactsPath(project, repository)}/${digest}`);
}

export function addTag(project: string, repository: string, digest: string, tag: string) {
  return post(`${artifactsPath(project, repository)}/${digest}/tags`, { name: tag });
}

/** The artifact stays. */
export function deleteTag(project: string, repository: string, digest: string, tag: string) {
  return del(`${artifactsPath(project, repository)}/${digest}/tags/${encodeURIComponent(tag)}`);
}
