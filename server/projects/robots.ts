// Robot accounts (Harbor v2): project level (robot$<project>+<name>, one project) or system
// level (robot$<name>, listed projects or '*'), with explicit grants that never exceed what
// their creator (or whoever edits them) holds. The secret is shown once and stored hashed.
import { randomBytes } from 'node:crypto';
import { DomainError } from '../lib/errors.js';
import { recordAudit, type AuditEvent } from '../audit/record.js';
import type { Filter, Paging } from '../lib/query.js';
import { requireUser, type Principal } from '../lib/principal.js';
import type { Database } from '../db/database.js';
import { findProjectById, findProjectByName } from '../db/projects.js';
import {
  findRobotById,
  listRobotGrants,
  listRobots,
  removeRobot,
  replaceRobotGrants,
  saveRobot,
  updateRobot,
  updateRobotSecret,
  type RobotFilter,
  type RobotGrant,
  type RobotRow,
} from '../db/robots.js';
import { hashPassword, robotPrefix } from './passwords.js';
import { can, rolePermissions, type Action, type Resource } from './permissions.js';
import { projectAccess } from './projects.js';
import type { RobotView } from '../lib/harborTypes.js';

const robotNameRe = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
// Any pair a project role can hold may be granted to a robot; nothing else exists.
const grantable = new Set(rolePermissions('projectAdmin').map((p) => `${p.resource}:${p.action}`));

export interface RobotInput {
  name?: unknown;
  description?: unknown;
  duration?: unknown;
  level?: unknown;
  disable?: unknown;
  permissions?: unknown;
}

function newSecret(): string {
  // 32 characters; the fixed tail keeps Harbor's secret rule (upper, lower, digit) always true.
  return `${randomBytes(24).toString('base64url').slice(0, 29)}Aa1`;
}

// Harbor names the project itself "project" in robot permissions (project:read, update,
// delete); the permission table names it ''.
const harborProjectResource = 'project';

function parseGrants(permissions: unknown): RobotGrant[] {
  if (!Array.isArray(permissions) || !permissions.length) throw new DomainError('INVALID', 'permissions must list at least one {kind, namespace, access}');
  const grants: RobotGrant[] = [];
  for (const p of permissions as Array<Record<string, unknown>>) {
    if (p?.kind !== 'project' || typeof p.namespace !== 'string' || !Array.isArray(p.access) || !p.access.length) {
      throw new DomainError('INVALID', 'each permission needs kind "project", a namespace (project name or "*") and a non-empty access list');
    }
    for (const a of p.access as Array<Record<string, unknown>>) {
      const resource = a?.resource === harborProjectResource ? '' : a?.resource;
      const key = `${String(resource)}:${String(a?.action)}`;
      if (typeof resource !== 'string' || typeof a?.action !== 'string' || !grantable.has(key)) {
        throw new DomainError('INVALID', `unknown permission ${String(a?.resource).slice(0, 50)}:${String(a?.action).slice(0, 50)}`);
      }
      if (a.effect !== undefined && a.effect !== 'allow') throw new DomainError('INVALID', 'only effect "allow" is supported');
      grants.push({ namespace: p.namespace, resource, action: a.action });
    }
  }
  return grants;
}

/** Refuses any grant the acting user does not hold themselves. */
async function assertWithin(db: Database, actor: Extract<Principal, { kind: 'user' }>, grants: RobotGrant[]): Promise<void> {
  for (const g of grants) {
    if (g.namespace === '*') {
      if (!actor.sysadmin) throw new DomainError('DENIED', 'only system administrators may grant on every project ("*")');
      continue;
    }
    const d = await projectAccess(db, actor, g.namespace);
    if (!d.exists || !can(d.access, g.resource as Resource, g.action as Action)) {
      throw new DomainError('DENIED', `you cannot grant ${g.resource}:${g.action} on ${g.namespace.slice(0, 100)}: you do not hold it`);
    }
  }
}

function parseDuration(v: unknown): number {
  if (v === undefined) return -1;
  if (typeof v !== 'number' || !Number.isInteger(v) || (v < 1 && v !== -1) || v > 36500)
    throw new DomainError('INVALID', 'duration is a number of days, or -1 for never');
  return v;
}

async function view(db: Database, r: RobotRow): Promise<RobotView> {
  const grants = await listRobotGrants(db, r.id);
  const byNamespace = new Map<string, RobotView['permissions'][number]>();
  for (const g of grants) {
    if (!byNamespace.has(g.namespace)) byNamespace.set(g.namespace, { kind: 'project', namespace: g.namespace, access: [] });
    byNamespace.get(g.namespace)!.access.push({ resource: g.resource || harborProjectResource, action: g.action, effect: 'allow' });
  }
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    level: r.level,
    disable: r.disabled,
    editable: true,
    duration: r.duration_days,
    expires_at: r.expires_at ? Math.floor(new Date(r.expires_at).getTime() / 1000) : -1,
    creation_time: new Date(r.created_at).toISOString(),
    update_time: new Date(r.updated_at).toISOString(),
    permissions: [...byNamespace.values()],
  };
}

/** Who may manage a robot: administrators, or holders of robot:<action> in its project. */
async function manageable(db: Database, principal: Principal, id: string, action: Action): Promise<RobotRow> {
  const actor = requireUser(principal);
  const robot = /^\d+$/.test(id) ? await findRobotById(db, Number(id)) : undefined;
  if (robot && actor.sysadmin) return robot;
  if (robot?.project_id) {
    const project = await findProjectById(db, robot.project_id);
    const d = project ? await projectAccess(db, actor, project.name) : undefined;
    if (d && can(d.access, 'robot', action)) return robot;
  }
  throw new DomainError('NOT_FOUND', `robot ${id.slice(0, 50)} not found`);
}

/** POST /robots: returns the secret, once. */
export async function createRobot(
  db: Database,
  principal: Principal,
  input: RobotInput,
): Promise<{ id: number; name: string; secret: string; creation_time: string; expires_at: number }> {
  const actor = requireUser(principal);
  if (typeof input.name !== 'string' || !robotNameRe.test(input.name) || input.name.length > 200) {
    throw new DomainError('INVALID', 'name must be lower-case letters and digits with ".", "_" or "-" between them');
  }
  if (input.level !== 'system' && input.level !== 'project') throw new DomainError('INVALID', 'level must be "system" or "project"');
  const grants = parseGrants(input.permissions);
  const duration = parseDuration(input.duration);
  const description = typeof input.description === 'string' ? input.description.slice(0, 1024) : '';
  let projectId: number | null = null;
  let fullName = `${robotPrefix}${input.name}`;
  if (input.level === 'project') {
    const namespaces = new Set(grants.map((g) => g.namespace));
    if (namespaces.size !== 1 || namespaces.has('*')) throw new DomainError('INVALID', 'a project robot has permissions in exactly one project');
    const [projectName] = namespaces;
    const project = await findProjectByName(db, projectName);
    const d = await projectAccess(db, actor, projectName);
    if (!project || !can(d.access, '', 'read')) throw new DomainError('NOT_FOUND', `project ${projectName.slice(0, 100)} not found`);
    if (!can(d.access, 'robot', 'create')) throw new DomainError('DENIED', `creating robots in ${projectName} needs the project admin role`);
    projectId = project.id;
    fullName = `${robotPrefix}${projectName}+${input.name}`;
  } else if (!actor.sysadmin) {
    throw new DomainError('DENIED', 'only system administrators may create system robots');
  }
  await assertWithin(db, actor, grants);
  const secret = newSecret();
  const secretHash = await hashPassword(secret);
  const id = await db.tx(async (q) => {
    const robotId = await saveRobot(q, {
      name: fullName,
      description,
      level: input.level as 'system' | 'project',
      projectId,
      secretHash,
      disabled: input.disable === true,
      durationDays: duration,
      creatorId: actor.id,
    });
    if (robotId === undefined) throw new DomainError('CONFLICT', `robot ${fullName} already exists`);
    await replaceRobotGrants(q, robotId, grants);
    await recordAudit(q, robotEvent('create', { name: fullName, project_id: projectId }));
    return robotId;
  });
  const row = (await findRobotById(db, id))!;
  return {
    id,
    name: fullName,
    secret,
    creation_time: new Date(row.created_at).toISOString(),
    expires_at: row.expires_at ? Math.floor(new Date(row.expires_at).getTime() / 1000) : -1,
  };
}

export async function getRobot(db: Database, principal: Principal, id: string): Promise<RobotView> {
  return view(db, await manageable(db, principal, id, 'read'));
}

/** GET /robots: everything for administrators; a project's robots with q=ProjectID=<id>. */
/** Keys GET /robots may filter by, as Harbor names them. */
export const robotFilterKeys = ['ProjectID', 'Level', 'name'] as const;

/** GET /robots?q=ProjectID=<id>,Level=project|system,name=~x: a project's robots for those who may list them, any for administrators. */
export async function listRobotsFor(
  db: Database,
  principal: Principal,
  filters: Map<string, Filter>,
  paging: Paging,
): Promise<{ items: RobotView[]; total: number }> {
  const actor = requireUser(principal);
  const f: RobotFilter = {};
  const project = filters.get('ProjectID');
  if (project) {
    if (project.kind !== 'exact' || !/^\d{1,15}$/.test(String(project.value)))
      throw new DomainError('INVALID', 'ProjectID filters by a project id: q=ProjectID=<id>');
    f.projectId = Number(project.value);
  }
  const level = filters.get('Level');
  if (level) {
    if (level.kind !== 'exact' || (level.value !== 'system' && level.value !== 'project')) throw new DomainError('INVALID', 'Level is system or project');
    f.level = level.value;
  }
  const name = filters.get('name');
  if (name) {
    if (name.kind !== 'exact' && name.kind !== 'fuzzy') throw new DomainError('INVALID', 'name filters by name=x or name=~x');
    if (name.kind === 'exact') f.nameExact = String(name.value);
    else f.nameContains = name.value;
  }
  if (f.projectId === undefined) {
    if (!actor.sysadmin) throw new DomainError('DENIED', "list a project's robots with q=ProjectID=<id>");
  } else {
    const row = await findProjectById(db, f.projectId);
    const d = row ? await projectAccess(db, actor, row.name) : undefined;
    if (!d || !can(d.access, 'robot', 'list')) throw new DomainError('DENIED', 'listing these robots is not allowed for you');
  }
  const { rows, total } = await listRobots(db, f, paging.pageSize, paging.offset);
  return { items: await Promise.all(rows.map((r) => view(db, r))), total };
}

/** PUT /robots/{id}: description, disable, duration and permissions. */
export async function editRobot(db: Database, principal: Principal, id: string, input: RobotInput): Promise<void> {
  const robot = await manageable(db, principal, id, 'update');
  const actor = requireUser(principal);
  const grants = input.permissions === undefined ? undefined : parseGrants(input.permissions);
  if (grants) {
    if (robot.level === 'project') {
      const project = await findProjectById(db, robot.project_id!);
      if (grants.some((g) => g.namespace !== project?.name)) throw new DomainError('INVALID', 'a project robot has permissions in its own project only');
    }
    await assertWithin(db, actor, grants);
  }
  await db.tx(async (q) => {
    await updateRobot(q, robot.id, {
      description: typeof input.description === 'string' ? input.description.slice(0, 1024) : robot.description,
      disabled: typeof input.disable === 'boolean' ? input.disable : robot.disabled,
      durationDays: input.duration === undefined ? robot.duration_days : parseDuration(input.duration),
    });
    if (grants) await replaceRobotGrants(q, robot.id, grants);
    await recordAudit(q, robotEvent('update', robot));
  });
}

/** PATCH /robots/{id}: a new secret (generated, or the one given if it meets the rule), shown once. */
export async function refreshRobotSecret(db: Database, principal: Principal, id: string, input: { secret?: unknown }): Promise<{ secret: string }> {
  const robot = await manageable(db, principal, id, 'update');
  let secret = newSecret();
  if (typeof input.secret === 'string' && input.secret !== '') {
    if (input.secret.length < 8 || input.secret.length > 128 || !/[A-Z]/.test(input.secret) || !/[a-z]/.test(input.secret) || !/[0-9]/.test(input.secret)) {
      throw new DomainError('INVALID', 'a secret must be 8 to 128 characters with an upper-case letter, a lower-case letter and a digit');
    }
    secret = input.secret;
  }
  const secretHash = await hashPassword(secret);
  await db.tx(async (q) => {
    await updateRobotSecret(q, robot.id, secretHash);
    await recordAudit(q, { ...robotEvent('update', robot), resource: `${robot.name} secret refreshed` });
  });
  return { secret };
}

export async function deleteRobot(db: Database, principal: Principal, id: string): Promise<void> {
  const robot = await manageable(db, principal, id, 'delete');
  await db.tx(async (q) => {
    await removeRobot(q, robot.id);
    await recordAudit(q, robotEvent('delete', robot));
  });
}

/** A project robot's name carries its project: robot$<project>+<name>. */
function robotEvent(operation: 'create' | 'update' | 'delete', robot: { name: string; project_id: number | null }): AuditEvent {
  const projectName = robot.project_id ? robot.name.slice(robotPrefix.length, robot.name.indexOf('+')) : null;
  return { operation, resourceType: 'robot', resource: robot.name, projectName, ...(robot.project_id ? { projectId: robot.project_id } : {}) };
}
