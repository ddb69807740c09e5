// Authorization on /v2, run as per-route middleware before the handler reads any body:
// a refused push gets its 401 challenge (or 403) before a byte of the blob streams.
import type Koa from 'koa';
import { can } from '../projects/permissions.js';
import { repositoryAccess } from '../projects/projects.js';
import { RegistryError } from '../lib/registryErrors.js';
import { assertName, isValidName, projectOf } from '../lib/references.js';
import type { Principal } from '../lib/principal.js';
import { CredentialsError, resolvePrincipal, type AuthDeps } from './resolvers.js';
import { formatScope, tokenAllows } from './tokens.js';
import type { AccessEntry } from '../lib/principal.js';

export type RepositoryAction = 'pull' | 'push' | 'delete';

/** What a route needs: any logged-in caller, the catalog, or actions on the named repository. */
export type Need = { kind: 'login' } | { kind: 'catalog' } | { kind: 'repository'; actions: RepositoryAction[] };

/** Where clients reach this server: BERTH_EXTERNAL_URL, else what the request says. */
export function externalBase(deps: AuthDeps, ctx: Koa.Context): string {
  return deps.externalUrl ?? `${ctx.protocol}://${ctx.host}`;
}

export function realmOf(deps: AuthDeps, ctx: Koa.Context): string {
  return `${externalBase(deps, ctx)}/service/token`;
}

// A mount also reads its source repository, so the challenge asks for that too (space-
// separated scopes in one parameter, as distribution's token spec writes them).
function mountSource(ctx: Koa.Context): AccessEntry | undefined {
  const from = ctx.query.from;
  if (ctx.method !== 'POST' || !ctx.query.mount || typeof from !== 'string' || !isValidName(from)) return undefined;
  return { type: 'repository', name: from, actions: ['pull'] };
}

function challenge(deps: AuthDeps, ctx: Koa.Context, scope: AccessEntry | undefined, error?: string): string {
  const parts = [`realm="${realmOf(deps, ctx)}"`, `service="${deps.tokenService}"`];
  const source = scope?.type === 'repository' ? mountSource(ctx) : undefined;
  if (scope) parts.push(`scope="${[scope, ...(source ? [source] : [])].map(formatScope).join(' ')}"`);
  if (error) parts.push(`error="${error}"`);
  return `Bearer ${parts.join(',')}`;
}

function unauthorized(deps: AuthDeps, ctx: Koa.Context, scope: AccessEntry | undefined, message: string, error?: string): RegistryError {
  return new RegistryError('UNAUTHORIZED', message, scope ? { scope: formatScope(scope) } : undefined, {
    headers: { 'WWW-Authenticate': challenge(deps, ctx, scope, error) },
  });
}

async function principalOf(deps: AuthDeps, ctx: Koa.Context, scope: AccessEntry | undefined): Promise<Principal> {
  if (ctx.state.principal) return ctx.state.principal as Principal;
  try {
    const p = await resolvePrincipal(deps, ctx.get('Authorization') || undefined, ctx.state.clientAddress as string, { bearer: true });
    ctx.state.principal = p;
    return p;
  } catch (err) {
    if (!(err instanceof CredentialsError)) throw err;
    if (err.reason === 'throttled') throw new RegistryError('TOOMANYREQUESTS', err.message);
    throw unauthorized(deps, ctx, scope, err.message, err.reason === 'invalid_token' ? 'invalid_token' : undefined);
  }
}

/** Whether the caller of this request may do `action` on another repository (a mount's source). */
export async function mayAccess(deps: AuthDeps, ctx: Koa.Context, repository: string, action: RepositoryAction): Promise<boolean> {
  if (!isValidName(repository)) return false;
  const principal = await principalOf(deps, ctx, undefined);
  if (principal.kind === 'token') return tokenAllows(principal.claims, 'repository', repository, action);
  const d = await repositoryAccess(deps.db, principal, repository);
  return d.exists && can(d.access, 'repository', action);
}

export function authorize(deps: AuthDeps, need: Need): Koa.Middleware {
  return async (ctx, next) => {
    if (need.kind === 'login') {
      const p = await principalOf(deps, ctx, undefined);
      if (p.kind === 'anonymous') throw unauthorized(deps, ctx, undefined, 'authentication required');
      return next();
    }
    if (need.kind === 'catalog') {
      const scope = { type: 'registry', name: 'catalog', actions: ['*'] };
      const p = await principalOf(deps, ctx, scope);
      const ok = p.kind === 'token' ? tokenAllows(p.claims, 'registry', 'catalog', '*') : p.kind === 'user' && p.sysadmin;
      if (ok) return next();
      if (p.kind === 'user') throw new RegistryError('DENIED', 'listing the catalog needs a system administrator');
      throw unauthorized(deps, ctx, scope, 'authentication required', p.kind === 'token' ? 'insufficient_scope' : undefined);
    }
    const name = assertName((ctx.state.params as { name: string }).name);
    const scope = { type: 'repository', name, actions: need.actions };
    const p = await principalOf(deps, ctx, scope);
    if (p.kind === 'token') {
      if (need.actions.every((a) => tokenAllows(p.claims, 'repository', name, a))) return next();
      throw unauthorized(deps, ctx, scope, `the token does not grant ${need.actions.join(',')} on ${name}`, 'insufficient_scope');
    }
    const project = projectOf(name);
    const d = await repositoryAccess(deps.db, p, name);
    if (d.exists && need.actions.every((a) => can(d.access, 'repository', a))) return next();
    if (p.kind === 'anonymous') throw unauthorized(deps, ctx, scope, 'authentication required');
    // Telling a logged-in user that a project is missing discloses nothing they could not
    // learn by creating it; where only admins create projects, it stays a plain denial.
    if (!d.exists && p.kind === 'user' && (p.sysadmin || deps.projectCreation === 'everyone')) {
      throw new RegistryError('NAME_UNKNOWN', project ? `project ${project} does not exist; create it first` : `repository ${name} must be <project>/<name>`, {
        name,
      });
    }
    throw new RegistryError('DENIED', `requested access to the resource is denied: ${need.actions.join(',')} on ${name}`, { name });
  };
}
