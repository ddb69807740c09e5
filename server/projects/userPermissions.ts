// GET /api/v2.0/users/current/permissions: what the caller may do within a scope, as
// Harbor answers the console (its pages show or hide actions by it). A scope is
// "/project/{id}"; resources come back as "/project/{id}/repository", or "repository" with
// relative=true (the project itself: "/project/{id}", or "").
import { DomainError } from '../lib/errors.js';
import { requireUser, type Principal } from '../lib/principal.js';
import type { Database } from '../db/database.js';
import { findProjectById } from '../db/projects.js';
import { can, projectPairs } from './permissions.js';
import { projectAccess } from './projects.js';
import type { PermissionView } from '../lib/harborTypes.js';

export async function currentPermissions(db: Database, principal: Principal, scope: string | undefined, relative: boolean): Promise<PermissionView[]> {
  requireUser(principal);
  // Harbor: no scope, or one that names no namespace, holds no permissions.
  if (!scope) return [];
  const m = /^\/project\/(\d{1,15})\/?$/.exec(scope);
  if (!m) {
    if (scope === '/system' || scope.startsWith('/system/')) return [];
    throw new DomainError('INVALID', 'scope is /project/{project id}');
  }
  const project = await findProjectById(db, Number(m[1]));
  // A project the caller cannot see gives nothing away: it holds no permissions for them.
  if (!project) return [];
  const { access } = await projectAccess(db, principal, project.name);
  const base = `/project/${project.id}`;
  return projectPairs()
    .filter((p) => can(access, p.resource, p.action))
    .map((p) => ({ resource: relative ? p.resource : p.resource ? `${base}/${p.resource}` : base, action: p.action }));
}
