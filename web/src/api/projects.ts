// Projects and what hangs off one project (its members and its quota): the paths, the
// query keys (invalidating ['projects'] or ['project', name] refetches what shows them).
import type { MemberView, ProjectView } from '@berth/api-types';
import { del, getJson, getPage, listQuery, post, put } from './client';

/** Harbor's role ids. */
export const roles: Record<number, string> = { 1: 'Project admin', 4: 'Maintainer', 2: 'Developer', 3: 'Guest', 5: 'Limited guest' };

const projectPath = (name: string) => `/projects/${encodeURIComponent(name)}`;

export const projectKeys = {
  all: ['projects'] as const,
  list: (p: { page: number; name: string; sort: string }) => ['projects', p.page, p.name, p.sort] as const,
  /** The first hundred, for the storage chart. */
  storage: ['projects', 'storage'] as const,
  one: (name: string) => ['project', name] as const,
};

export function listProjects(p: { name?: string; page: number; pageSize: number; sort?: string }) {
  return getPage<ProjectView>(`/projects?${listQuery(p)}`);
}

/** The first hundred projects: as many as the storage chart shows. */
export function listProjectsForStorage() {
  return getPage<ProjectView>('/projects?page=1&page_size=100');
}

export function getProject(name: string) {
  return getJson<ProjectView>(projectPath(name));
}

export function createProject(body: { project_name: string; metadata: { public: string }; storage_limit?: number }) {
  return post('/projects', body);
}

/** Project settings: metadata flags are "true"/"false"; what is left out keeps its value. */
export interface ProjectUpdate {
  metadata?: Partial<Record<'public' | 'auto_scan' | 'prevent_vul' | 'severity' | 'reuse_sys_cve_allowlist', string>>;
  /** The project's own allowlist; expires_at in Unix seconds, null for never. */
  cve_allowlist?: { items: Array<{ cve_id: string }>; expires_at: number | null };
}

export function updateProject(name: string, body: ProjectUpdate) {
  return put(projectPath(name), body);
}

/** Only an empty project can be deleted. */
export function deleteProject(name: string) {
  return del(projectPath(name));
}

/** A project's quota has the project's id; -1 is unlimited. */
export function updateQuota(projectId: number, body: { hard: { storage: number } }) {
  return put(`/quotas/${projectId}`, body);
}

export const memberKeys = {
  project: (project: string) => ['members', project] as const,
  list: (project: string, page: number) => ['members', project, page] as const,
};

const membersPath = (project: string) => `${projectPath(project)}/members`;

export function listMembers(project: string, p: { page: number; pageSize: number }) {
  return getPage<MemberView>(`${membersPath(project)}?page=${p.page}&page_size=${p.pageSize}`);
}

export function addMember(
  project: string,
  body: {
    role_id: number;
    member_user?: { username: string };
    member_group?: { group_type: 1; ldap_group_dn: string } | { group_type: 3; group_name: string };
  },
) {
  return post(membersPath(project), body);
}

export function updateMember(project: string, id: number, body: { role_id: number }) {
  return put(`${membersPath(project)}/${id}`, body);
}

export function deleteMember(project: string, id: number) {
  return del(`${membersPath(project)}/${id}`);
}
