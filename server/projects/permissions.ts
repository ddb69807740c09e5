// Who may do what inside a project: Harbor's five shipped project roles and the set
// everyone gets on a public project, as one table (docs/design/0004-permissions.md §1.3,
// transcribed from goharbor/harbor's frozen shipped_grants_on_main.golden). Every
// authorization decision, on /v2 and on /api/v2.0, goes through can().

/** Harbor's role ids; clients and the API use these numbers. */
export const roleIds = { projectAdmin: 1, developer: 2, guest: 3, maintainer: 4, limitedGuest: 5 } as const;
export type RoleName = keyof typeof roleIds;
export type RoleId = (typeof roleIds)[RoleName];

export const roleNames: Record<RoleId, RoleName> = { 1: 'projectAdmin', 2: 'developer', 3: 'guest', 4: 'maintainer', 5: 'limitedGuest' };

/** Project resources; '' is the project itself. */
export type Resource =
  | ''
  | 'repository'
  | 'artifact'
  | 'tag'
  | 'accessory'
  | 'artifact-addition'
  | 'artifact-label'
  | 'member'
  | 'metadata'
  | 'configuration'
  | 'quota'
  | 'label'
  | 'log'
  | 'robot'
  | 'immutable-tag'
  | 'tag-retention'
  | 'scan'
  | 'sbom'
  | 'scanner'
  | 'export-cve'
  | 'notification-policy'
  | 'preheat-policy';

export type Action = 'pull' | 'push' | 'create' | 'read' | 'update' | 'delete' | 'list' | 'operate' | 'stop';

const PUBLIC = true;

// [resource, action, roles holding it, held by everyone on a public project]
const matrix: ReadonlyArray<readonly [Resource, Action, readonly RoleName[], boolean?]> = [
  ['', 'read', ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest'], PUBLIC],
  ['', 'update', ['projectAdmin']],
  ['', 'delete', ['projectAdmin']],
  ['repository', 'pull', ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest'], PUBLIC],
  ['repository', 'push', ['projectAdmin', 'maintainer', 'developer']],
  ['repository', 'create', ['projectAdmin', 'maintainer', 'developer']],
  ['repository', 'read', ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest']],
  ['repository', 'list', ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest'], PUBLIC],
  ['repository', 'update', ['projectAdmin', 'maintainer', 'developer']],
  ['repository', 'delete', ['projectAdmin', 'maintainer']],
  ['artifact', 'create', ['projectAdmin', 'maintainer', 'developer']],
  ['artifact', 'read', ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest'], PUBLIC],
  ['artifact', 'list', ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest'], PUBLIC],
  ['artifact', 'delete', ['projectAdmin', 'maintainer']],
  ['tag', 'create', ['projectAdmin', 'maintainer', 'developer']],
  ['tag', 'list', ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest'], PUBLIC],
  ['tag', 'delete', ['projectAdmin', 'maintainer']],
  ['accessory', 'list', ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest'], PUBLIC],
  ['artifact-addition', 'read', ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest'], PUBLIC],
  ['artifact-label', 'create', ['projectAdmin', 'maintainer', 'developer']],
  ['artifact-label', 'delete', ['projectAdmin', 'maintainer', 'developer']],
  ['member', 'create', ['projectAdmin']],
  ['member', 'read', ['projectAdmin', 'maintainer', 'developer', 'guest']],
  ['member', 'list', ['projectAdmin', 'maintainer', 'developer', 'guest']],
  ['member', 'update', ['projectAdmin']],
  ['member', 'delete', ['projectAdmin']],
  ['metadata', 'create', ['projectAdmin']],
  ['metadata', 'read', ['projectAdmin', 'maintainer']],
  ['metadata', 'list', ['projectAdmin']],
  ['metadata', 'update', ['projectAdmin']],
  ['metadata', 'delete', ['projectAdmin']],
  ['configuration', 'read', ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest']],
  ['configuration', 'update', ['projectAdmin']],
  ['quota', 'read', ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest']],
  ['label', 'create', ['projectAdmin', 'maintainer']],
  ['label', 'read', ['projectAdmin', 'maintainer', 'developer', 'guest'], PUBLIC],
  ['label', 'list', ['projectAdmin', 'maintainer', 'developer', 'guest'], PUBLIC],
  ['label', 'update', ['projectAdmin', 'maintainer']],
  ['label', 'delete', ['projectAdmin', 'maintainer']],
  ['log', 'list', ['projectAdmin']],
  ['robot', 'create', ['projectAdmin']],
  ['robot', 'read', ['projectAdmin', 'maintainer', 'developer', 'guest']],
  ['robot', 'list', ['projectAdmin', 'maintainer', 'developer', 'guest']],
  ['robot', 'update', ['projectAdmin']],
  ['robot', 'delete', ['projectAdmin']],
  ['immutable-tag', 'create', ['projectAdmin', 'maintainer']],
  ['immutable-tag', 'list', ['projectAdmin', 'maintainer']],
  ['immutable-tag', 'update', ['projectAdmin', 'maintainer']],
  ['immutable-tag', 'delete', ['projectAdmin', 'maintainer']],
  ['tag-retention', 'create', ['projectAdmin', 'maintainer', 'developer']],
  ['tag-retention', 'read', ['projectAdmin', 'maintainer', 'developer']],
  ['tag-retention', 'list', ['projectAdmin', 'maintainer', 'developer']],
  ['tag-retention', 'update', ['projectAdmin', 'maintainer', 'developer']],
  ['tag-retention', 'delete', ['projectAdmin', 'maintainer', 'developer']],
  ['tag-retention', 'operate', ['projectAdmin', 'maintainer', 'developer']],
  ['scan', 'create', ['projectAdmin', 'maintainer']],
  ['scan', 'read', ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest'], PUBLIC],
  ['scan', 'stop', ['projectAdmin', 'maintainer']],
  ['sbom', 'create', ['projectAdmin', 'maintainer']],
  ['sbom', 'read', ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest']],
  ['sbom', 'stop', ['projectAdmin', 'maintainer']],
  ['scanner', 'create', ['projectAdmin']],
  ['scanner', 'read', ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest'], PUBLIC],
  ['export-cve', 'create', ['projectAdmin', 'maintainer', 'developer']],
  ['export-cve', 'read', ['projectAdmin', 'maintainer', 'developer']],
  ['export-cve', 'list', ['projectAdmin', 'maintainer', 'developer']],
  ['notification-policy', 'create', ['projectAdmin']],
  ['notification-policy', 'read', ['projectAdmin', 'maintainer']],
  ['notification-policy', 'list', ['projectAdmin', 'maintainer']],
  ['notification-policy', 'update', ['projectAdmin']],
  ['notification-policy', 'delete', ['projectAdmin']],
  ['preheat-policy', 'create', ['projectAdmin']],
  ['preheat-policy', 'read', ['projectAdmin']],
  ['preheat-policy', 'list', ['projectAdmin']],
  ['preheat-policy', 'update', ['projectAdmin']],
  ['preheat-policy', 'delete', ['projectAdmin']],
];

const key = (resource: Resource, action: Action) => `${resource}:${action}`;
const byRole = new Map<RoleName, Set<string>>(Object.keys(roleIds).map((r) => [r as RoleName, new Set<string>()]));
const publicSet = new Set<string>();
for (const [resource, action, holders, isPublic] of matrix) {
  for (const role of holders) byRole.get(role)!.add(key(resource, action));
  if (isPublic) publicSet.add(key(resource, action));
}

/** Every (resource, action) pair of a project, in the table's order. */
export function projectPairs(): Array<{ resource: Resource; action: Action }> {
  return matrix.map(([resource, action]) => ({ resource, action }));
}

/** Every (resource, action) pair a role holds, for listings and robot-permission checks. */
export function rolePermissions(role: RoleName): Array<{ resource: Resource; action: Action }> {
  return matrix.filter(([, , holders]) => holders.includes(role)).map(([resource, action]) => ({ resource, action }));
}

export function isRoleId(id: unknown): id is RoleId {
  return typeof id === 'number' && id in roleNames;
}

// Strongest first: each role holds every pair of the ones after it (checked by a unit test).
const roleStrength: readonly RoleName[] = ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest'];

/** The strongest of the roles a user holds in a project (their own and their groups'). */
export function strongestRole(ids: readonly number[] | null | undefined): RoleName | undefined {
  let best: RoleName | undefined;
  for (const id of ids ?? []) {
    if (!isRoleId(id)) continue;
    const name = roleNames[id];
    if (best === undefined || roleStrength.indexOf(name) < roleStrength.indexOf(best)) best = name;
  }
  return best;
}

/** What the caller is, as far as one project is concerned. */
export interface ProjectAccess {
  sysadmin: boolean;
  /** The caller's role in the project, if a member. */
  role?: RoleName;
  /** A robot's explicit "resource:action" grants in this project (instead of a role). */
  grants?: ReadonlySet<string>;
  projectPublic: boolean;
}

export const grantKey = (resource: string, action: string) => `${resource}:${action}`;

/**
 * The one decision: a system administrator may do anything; anyone else holds their role's
 * pairs plus, on a public project, the public set (public means public to everyone,
 * members with a narrower role included).
 */
export function can(access: ProjectAccess, resource: Resource, action: Action): boolean {
  if (access.sysadmin) return true;
  const k = key(resource, action);
  if (access.role && byRole.get(access.role)!.has(k)) return true;
  if (access.grants?.has(k)) return true;
  return access.projectPublic && publicSet.has(k);
}
