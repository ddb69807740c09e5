// Projects and their members, and the question every request asks: what may this
// principal do in the project a repository belongs to?
import { DomainError } from '../lib/errors.js';
import type { Filter, Paging, SortKey } from '../lib/query.js';
import { requireUser, type Principal } from '../lib/principal.js';
import type { Database, Queryer } from '../db/database.js';
import {
  countRepositoriesIn,
  findMember,
  type MemberRow,
  countProjectRepositories,
  findProjectAccess,
  listMembers,
  listProjects,
  projectSummaryCounts,
  removeMember,
  updateMemberRole,
  updateProjectSettings,
  type ProjectSettings,
  findProjectById,
  findProjectByName,
  removeProject,
  saveMember,
  saveProject,
  type ProjectRow,
} from '../db/projects.js';
import { findUserById, findUserByName } from '../db/users.js';
import { recordAudit, type AuditEvent } from '../audit/record.js';
import { parseStorageLimit } from './quotas.js';
import { can, grantKey, isRoleId, roleIds, strongestRole, type Action, type ProjectAccess, type Resource } from './permissions.js';
import type { MemberView, ProjectView } from '../lib/harborTypes.js';
import { projectOf } from '../lib/references.js';
import { findAllowlist, saveAllowlist } from '../db/cveAllowlists.js';
import { gateSeverities, isGateSeverity } from '../scanning/severity.js';
import { allowlistView, describeAllowlist, parseAllowlist, type ParsedAllowlist } from '../scanning/allowlists.js';

// Harbor's project name rule.
const projectNameRe = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export interface ProjectDecision {
  exists: boolean;
  access: ProjectAccess;
  /** Every role the user holds here, their own and their groups' (Harbor's current_user_role_ids). */
  roleIds?: number[];
}

/** What the principal is in the named project (a missing project grants nothing, except to admins). */
export async function projectAccess(q: Queryer, principal: Principal, projectName: string | undefined): Promise<ProjectDecision> {
  const sysadmin = principal.kind === 'user' && principal.sysadmin;
  if (!projectName) return { exists: false, access: { sysadmin, projectPublic: false } };
  const row = await findProjectAccess(q, projectName, principal.kind === 'user' ? principal.id : null);
  if (!row) return { exists: false, access: { sysadmin, projectPublic: false } };
  if (principal.kind === 'robot') {
    const grants = new Set(principal.grants.filter((g) => g.namespace === projectName || g.namespace === '*').map((g) => grantKey(g.resource, g.action)));
    return { exists: true, access: { sysadmin: false, grants, projectPublic: row.public } };
  }
  return { exists: true, access: { sysadmin, role: strongestRole(row.role_ids), projectPublic: row.public }, roleIds: row.role_ids ?? [] };
}

/** What the principal is in the project of this repository: a principal held to one repository is nothing in the others. */
export async function repositoryAccess(q: Queryer, principal: Principal, repository: string): Promise<ProjectDecision> {
  const d = await projectAccess(q, principal, projectOf(repository));
  if (principal.kind === 'robot' && principal.repository !== undefined && principal.repository !== repository)
    return { exists: d.exists, access: { sysadmin: false, grants: new Set(), projectPublic: d.access.projectPublic } };
  return d;
}

export async function allows(q: Queryer, principal: Principal, projectName: string | undefined, resource: Resource, action: Action): Promise<boolean> {
  const d = await projectAccess(q, principal, projectName);
  return d.exists && can(d.access, resource, action);
}

function view(row: ProjectRow, role: number | undefined, togglable: boolean, repoCount: number, roleIdsHeld?: number[]): ProjectView {
  return {
    project_id: row.id,
    name: row.name,
    public: row.public,
    owner_id: row.owner_id ?? 0,
    owner_name: row.owner_name ?? '',
    creation_time: new Date(row.created_at).toISOString(),
    update_time: new Date(row.updated_at).toISOString(),
    deleted: false,
    togglable,
    metadata: {
      public: String(row.public),
      ...(row.retention_id ? { retention_id: String(row.retention_id) } : {}),
      auto_scan: String(row.auto_scan),
      prevent_vul: String(row.prevent_vul),
      severity: row.severity,
      reuse_sys_cve_allowlist: String(row.reuse_sys_cve_allowlist),
      require_signature: String(row.require_signature),
    },
    current_user_role_id: role ?? 0,
    current_user_role_ids: roleIdsHeld ? [...new Set(roleIdsHeld)].sort() : role ? [role] : [],
    repo_count: repoCount,
    storage_limit: row.storage_limit,
    storage_used: row.storage_used,
  };
}

export interface NewProject {
  project_name?: unknown;
  public?: unknown;
  metadata?: {
    public?: unknown;
    auto_scan?: unknown;
    prevent_vul?: unknown;
    severity?: unknown;
    reuse_sys_cve_allowlist?: unknown;
    require_signature?: unknown;
  };
  storage_limit?: unknown;
  cve_allowlist?: unknown;
}

const flagKeys = ['public', 'auto_scan', 'prevent_vul', 'reuse_sys_cve_allowlist', 'require_signature'] as const;

/** Harbor's project metadata: flags as "true"/"false" (booleans taken too), the gate's severity in lower case. */
function parseSettings(input: NewProject): ProjectSettings {
  const m = input.metadata ?? {};
  if (typeof m !== 'object' || Array.isArray(m)) throw new DomainError('INVALID', 'metadata must be an object');
  const s: ProjectSettings = {};
  for (const k of flagKeys) {
    const v = k === 'public' ? (m.public ?? input.public) : m[k];
    if (v === undefined) continue;
    if (v !== 'true' && v !== 'false' && typeof v !== 'boolean') throw new DomainError('INVALID', `metadata.${k} must be "true" or "false"`);
    s[k] = v === true || v === 'true';
  }
  if (m.severity !== undefined) {
    if (!isGateSeverity(m.severity)) throw new DomainError('INVALID', `metadata.severity must be one of ${gateSeverities.join(', ')}`);
    s.severity = m.severity;
  }
  return s;
}

function describeSettings(s: ProjectSettings): string {
  return Object.entries(s)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** POST /projects: the creator becomes its project admin. */
export async function createProject(
  db: Database,
  principal: Principal,
  input: NewProject,
  creation: 'everyone' | 'adminonly',
  defaultStorageLimit = -1,
): Promise<number> {
  const user = requireUser(principal);
  if (creation === 'adminonly' && !user.sysadmin) throw new DomainError('DENIED', 'only system administrators may create projects');
  const name = input.project_name;
  if (typeof name !== 'string' || name.length < 1 || name.length > 255 || !projectNameRe.test(name)) {
    throw new DomainError('INVALID', 'project_name must be 1 to 255 lower-case letters, digits and separators (., _, -) between them');
  }
  const settings = parseSettings(input);
  // Harbor: only administrators choose a quota at creation; others get the default.
  const storageLimit = input.storage_limit !== undefined && user.sysadmin ? parseStorageLimit(input.storage_limit) : defaultStorageLimit;
  const allowlist = input.cve_allowlist === undefined ? undefined : parseAllowlist(input.cve_allowlist, 'cve_allowlist');
  const id = await insertProject(db, { name, public: settings.public ?? false, ownerId: user.id, storageLimit, settings, allowlist });
  if (id === undefined) throw new DomainError('CONFLICT', `project ${name} already exists`);
  return id;
}

/**
 * Writes a new project with its audit row, and its owner (if any) as its project admin,
 * in one transaction: the management API's create and a replication pull rule's missing
 * destination both come here. Returns the id, or undefined when the name is taken
 * (nothing is written then). `actor` names who acted when no request does (the worker).
 */
export async function insertProject(
  db: Database,
  p: { name: string; public: boolean; ownerId: number | null; storageLimit?: number; settings?: ProjectSettings; allowlist?: ParsedAllowlist },
  actor?: AuditEvent['actor'],
): Promise<number | undefined> {
  return db.tx(async (q) => {
    const id = await saveProject(q, p);
    if (id === undefined) return undefined;
    if (p.settings && Object.keys(p.settings).length) await updateProjectSettings(q, id, p.settings);
    if (p.allowlist) await saveAllowlist(q, id, p.allowlist.items, p.allowlist.expiresAt);
    if (p.ownerId !== null) await saveMember(q, id, { userId: p.ownerId }, roleIds.projectAdmin);
    await recordAudit(q, { operation: 'create', resourceType: 'project', resource: p.name, projectName: p.name, projectId: id, actor });
    return id;
  });
}

/**
 * A project by name or id, as the principal may see it. A private project the principal
 * is not in is NOT_FOUND, so its existence is not disclosed.
 */
export async function getProject(db: Database, principal: Principal, ref: string, byName: boolean): Promise<ProjectView> {
  const { project } = await visibleProject(db, principal, ref, byName);
  const [repoCount, allowlist] = await Promise.all([countRepositoriesIn(db, project.name), findAllowlist(db, project.project_id)]);
  return { ...project, repo_count: repoCount, cve_allowlist: allowlistView(allowlist, project.project_id) };
}

/** The project as getProject shows it, with the principal's access to it (one lookup of each). */
export async function visibleProject(
  db: Database,
  principal: Principal,
  ref: string,
  byName: boolean,
): Promise<{ project: ProjectView; access: ProjectAccess }> {
  const row = byName || !/^\d+$/.test(ref) ? await findProjectByName(db, ref) : await findProjectById(db, Number(ref));
  const notFound = new DomainError('NOT_FOUND', `project ${ref.slice(0, 300)} not found`);
  if (!row) throw notFound;
  const d = await projectAccess(db, principal, row.name);
  if (!can(d.access, '', 'read')) throw notFound;
  // NOTE: repo_count is counted only where a project is shown (getProject, the list), not
  // for the many requests that only need to know the project is visible.
  return { project: view(row, d.access.role ? roleIds[d.access.role] : undefined, can(d.access, '', 'update'), 0, d.roleIds), access: d.access };
}

/** DELETE /projects/{p}: only when it holds no repositories. */
export async function deleteProject(db: Database, principal: Principal, ref: string, byName: boolean): Promise<void> {
  requireUser(principal);
  const { project, access } = await visibleProject(db, principal, ref, byName);
  if (!can(access, '', 'delete')) throw new DomainError('DENIED', `deleting project ${project.name} needs the project admin role`);
  const repositories = await countProjectRepositories(db, project.name);
  if (repositories > 0) throw new DomainError('PRECONDITION_FAILED', `project ${project.name} still holds ${repositories} repositories; delete them first`);
  await db.tx(async (q) => {
    await removeProject(q, project.project_id);
    await recordAudit(q, { operation: 'delete', resourceType: 'project', resource: project.name, projectName: project.name, projectId: project.project_id });
  });
}

export interface NewMember {
  role_id?: unknown;
  member_user?: { username?: unknown; user_id?: unknown };
  member_group?: { id?: unknown; group_name?: unknown; group_type?: unknown; ldap_group_dn?: unknown };
}

/**
 * POST /projects/{p}/members: a user (by name or id) or a group (by id, by LDAP DN, or an
 * OIDC group by name; a group not known yet is added, an LDAP one only if the directory has
 * it). Returns the new member's id.
 */
export async function addMember(
  db: Database,
  principal: Principal,
  ref: string,
  byName: boolean,
  input: NewMember,
  groups: GroupResolver,
): Promise<{ projectId: number; memberId: number }> {
  requireUser(principal);
  const { project, access } = await visibleProject(db, principal, ref, byName);
  if (!can(access, 'member', 'create')) throw new DomainError('DENIED', `adding members to ${project.name} needs the project admin role`);
  if (!isRoleId(input.role_id))
    throw new DomainError('INVALID', 'role_id must be 1 (project admin), 2 (developer), 3 (guest), 4 (maintainer) or 5 (limited guest)');
  if ((input.member_user === undefined) === (input.member_group === undefined)) throw new DomainError('INVALID', 'give either member_user or member_group');
  const roleId = input.role_id;
  let entity: { userId: number } | { groupId: number };
  let name: string;
  if (input.member_user !== undefined) {
    const user = await memberUser(db, input.member_user);
    entity = { userId: user.id };
    name = user.username;
  } else {
    const group = await groups.resolve(input.member_group!);
    entity = { groupId: group.id };
    name = group.group_name;
  }
  const memberId = await db.tx(async (q) => {
    const id = await saveMember(q, project.project_id, entity, roleId);
    if (id === undefined) throw new DomainError('CONFLICT', `${name} is already a member of ${project.name}`);
    await recordAudit(q, memberEvent('create', project, name, roleId));
    return id;
  });
  return { projectId: project.project_id, memberId };
}

/** How a member_group of a request becomes a stored group (identity/userGroups.ts). */
export interface GroupResolver {
  resolve(input: NonNullable<NewMember['member_group']>): Promise<{ id: number; group_name: string }>;
}

async function memberUser(db: Database, input: NonNullable<NewMember['member_user']>) {
  if (input === null || typeof input !== 'object') throw new DomainError('INVALID', 'member_user must be an object with username or user_id');
  const { username, user_id: userId } = input;
  if (typeof username === 'string') {
    const user = await findUserByName(db, username);
    if (!user) throw new DomainError('NOT_FOUND', `user ${username.slice(0, 100)} not found`);
    return user;
  }
  if (typeof userId === 'number' && Number.isSafeInteger(userId)) {
    const user = await findUserById(db, userId);
    if (!user) throw new DomainError('NOT_FOUND', `user ${userId} not found`);
    return user;
  }
  throw new DomainError('INVALID', 'member_user.username or member_user.user_id is required');
}

export interface ProjectQuery {
  filters: Map<string, Filter>;
  sort: SortKey[];
  paging: Paging;
  /** Harbor's owner parameter: the owner's user name. */
  owner?: string;
}

/** Keys GET /projects may filter and sort by. */
export const projectFilterKeys = ['name', 'public'] as const;
export const projectSortKeys = ['name', 'creation_time'] as const;

/** GET /projects: public projects and the caller's own; every project for administrators. */
export async function listProjectsFor(db: Database, principal: Principal, query: ProjectQuery): Promise<{ items: ProjectView[]; total: number }> {
  const sysadmin = principal.kind === 'user' && principal.sysadmin;
  const name = query.filters.get('name');
  const pub = query.filters.get('public');
  if (name && name.kind !== 'exact' && name.kind !== 'fuzzy') throw new DomainError('INVALID', 'name filters by exact value (name=x) or substring (name=~x)');
  if (pub && (pub.kind !== 'exact' || (pub.value !== 'true' && pub.value !== 'false')))
    throw new DomainError('INVALID', 'public filters by public=true or public=false');
  const { rows, total } = await listProjects(db, {
    visibleTo: sysadmin ? undefined : principal.kind === 'user' ? principal.id : null,
    nameExact: name?.kind === 'exact' ? String(name.value) : undefined,
    nameContains: name?.kind === 'fuzzy' ? name.value : undefined,
    public: pub?.kind === 'exact' ? pub.value === 'true' : undefined,
    ownerName: query.owner,
    orderBy: query.sort.map((s) => ({ column: s.key === 'name' ? 'name' : 'created_at', descending: s.descending })),
    limit: query.paging.pageSize,
    offset: query.paging.offset,
  });
  return {
    items: rows.map((r) => {
      const role = strongestRole(r.role_ids);
      return view(r, role ? roleIds[role] : undefined, sysadmin || role === 'projectAdmin', r.repo_count ?? 0, r.role_ids ?? []);
    }),
    total,
  };
}

/** HEAD /projects?project_name=: whether the name is taken (by any project, as creating it would find). */
export async function projectNameTaken(db: Database, principal: Principal, name: string | undefined): Promise<boolean> {
  requireUser(principal);
  if (!name) throw new DomainError('INVALID', 'project_name is required');
  return (await findProjectByName(db, name)) !== undefined;
}

/**
 * PUT /projects/{p}: Harbor's body {metadata: {public, auto_scan, prevent_vul, severity,
 * reuse_sys_cve_allowlist}, cve_allowlist: {items, expires_at}} (project admins); what is
 * absent keeps its value.
 */
export async function updateProject(db: Database, principal: Principal, ref: string, byName: boolean, input: NewProject): Promise<void> {
  requireUser(principal);
  const { project, access } = await visibleProject(db, principal, ref, byName);
  if (!can(access, '', 'update')) throw new DomainError('DENIED', `updating project ${project.name} needs the project admin role`);
  const settings = parseSettings(input);
  const allowlist = input.cve_allowlist === undefined ? undefined : parseAllowlist(input.cve_allowlist, 'cve_allowlist');
  if (!Object.keys(settings).length && !allowlist) return;
  await db.tx(async (q) => {
    if (Object.keys(settings).length) await updateProjectSettings(q, project.project_id, settings);
    if (allowlist) await saveAllowlist(q, project.project_id, allowlist.items, allowlist.expiresAt);
    const what = [describeSettings(settings), allowlist ? `cve_allowlist=${describeAllowlist(allowlist)}` : ''].filter(Boolean).join(' ');
    await recordAudit(q, {
      operation: 'update',
      resourceType: 'project',
      resource: `${project.name} ${what}`,
      projectName: project.name,
      projectId: project.project_id,
    });
  });
}

async function memberProject(db: Database, principal: Principal, ref: string, byName: boolean, action: Action): Promise<ProjectView> {
  requireUser(principal);
  const { project, access } = await visibleProject(db, principal, ref, byName);
  if (!can(access, 'member', action)) throw new DomainError('DENIED', `${action} on members of ${project.name} is not allowed for your role`);
  return project;
}

const harborRoleNames: Record<number, string> = { 1: 'projectAdmin', 2: 'developer', 3: 'guest', 4: 'maintainer', 5: 'limitedGuest' };

function memberView(m: MemberRow, projectId: number): MemberView {
  return {
    id: m.id,
    project_id: projectId,
    entity_name: m.entity_name,
    entity_type: m.group_id !== null ? 'g' : 'u',
    entity_id: m.group_id ?? m.user_id!,
    role_id: m.role_id,
    role_name: harborRoleNames[m.role_id],
  };
}

/** GET /projects/{p}/members (entityname filters by substring): users, then groups. */
export async function listProjectMembers(
  db: Database,
  principal: Principal,
  ref: string,
  byName: boolean,
  entityName: string | undefined,
  paging: Paging,
): Promise<{ items: MemberView[]; total: number }> {
  const project = await memberProject(db, principal, ref, byName, 'list');
  const { rows, total } = await listMembers(db, project.project_id, entityName, paging.pageSize, paging.offset);
  return { items: rows.map((m) => memberView(m, project.project_id)), total };
}

/** GET /projects/{p}/members/{mid}. */
export async function getProjectMember(db: Database, principal: Principal, ref: string, byName: boolean, memberId: string): Promise<MemberView> {
  const project = await memberProject(db, principal, ref, byName, 'read');
  const m = /^\d{1,15}$/.test(memberId) ? await findMember(db, project.project_id, Number(memberId)) : undefined;
  if (!m) throw new DomainError('NOT_FOUND', `member ${memberId.slice(0, 50)} not found in ${project.name}`);
  return memberView(m, project.project_id);
}

/** PUT /projects/{p}/members/{mid} {role_id}. */
export async function changeMemberRole(
  db: Database,
  principal: Principal,
  ref: string,
  byName: boolean,
  memberId: string,
  input: { role_id?: unknown },
): Promise<void> {
  const project = await memberProject(db, principal, ref, byName, 'update');
  if (!isRoleId(input.role_id))
    throw new DomainError('INVALID', 'role_id must be 1 (project admin), 2 (developer), 3 (guest), 4 (maintainer) or 5 (limited guest)');
  const roleId = input.role_id;
  await db.tx(async (q) => {
    if (!/^\d{1,15}$/.test(memberId) || !(await updateMemberRole(q, project.project_id, Number(memberId), roleId))) {
      throw new DomainError('NOT_FOUND', `member ${memberId.slice(0, 50)} not found in ${project.name}`);
    }
    await recordAudit(q, memberEvent('update', project, (await memberName(q, project.project_id, Number(memberId))) ?? `member ${memberId}`, roleId));
  });
}

/** DELETE /projects/{p}/members/{mid}. */
export async function deleteMember(db: Database, principal: Principal, ref: string, byName: boolean, memberId: string): Promise<void> {
  const project = await memberProject(db, principal, ref, byName, 'delete');
  await db.tx(async (q) => {
    const name = /^\d{1,15}$/.test(memberId) ? await memberName(q, project.project_id, Number(memberId)) : undefined;
    if (name === undefined || !(await removeMember(q, project.project_id, Number(memberId)))) {
      throw new DomainError('NOT_FOUND', `member ${memberId.slice(0, 50)} not found in ${project.name}`);
    }
    await recordAudit(q, memberEvent('delete', project, name));
  });
}

async function memberName(q: Queryer, projectId: number, memberId: number): Promise<string | undefined> {
  return (await findMember(q, projectId, memberId))?.entity_name;
}

/** A membership change as the audit log shows it: `<project>:<user>` and the role given. */
function memberEvent(operation: 'create' | 'update' | 'delete', project: ProjectView, username: string, roleId?: number): AuditEvent {
  return {
    operation,
    resourceType: 'project_member',
    resource: `${project.name}:${username}${roleId ? ` role=${harborRoleNames[roleId]}` : ''}`,
    projectName: project.name,
    projectId: project.project_id,
  };
}

/** GET /projects/{p}/summary: repository count and members per role (Harbor's ProjectSummary). */
export async function projectSummary(db: Database, principal: Principal, ref: string, byName: boolean) {
  const { project, access } = await visibleProject(db, principal, ref, byName);
  const { repo_count, roles } = await projectSummaryCounts(db, project.project_id, project.name);
  const members = can(access, 'member', 'list');
  return {
    repo_count,
    // Harbor's quota object, for those who may read the quota; -1 is no limit, as in /quotas.
    ...(can(access, 'quota', 'read') ? { quota: { hard: { storage: project.storage_limit }, used: { storage: project.storage_used } } } : {}),
    // Member counts are for those who may see members (limited guests and outsiders may not).
    ...(members
      ? {
          project_admin_count: roles[roleIds.projectAdmin] ?? 0,
          maintainer_count: roles[roleIds.maintainer] ?? 0,
          developer_count: roles[roleIds.developer] ?? 0,
          guest_count: roles[roleIds.guest] ?? 0,
          limited_guest_count: roles[roleIds.limitedGuest] ?? 0,
        }
      : {}),
  };
}
