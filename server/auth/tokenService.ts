// The Docker token service's decision: grant the intersection of the scopes asked for and
// what the permission table allows (a partial grant is not an error), then sign.
import { isValidName } from '../lib/references.js';
import { repositoryAccess } from '../projects/projects.js';
import { can } from '../projects/permissions.js';
import type { Principal } from '../lib/principal.js';
import type { AuthDeps } from './resolvers.js';
import { tokenIssuer } from './resolvers.js';
import { issueToken, type IssuedToken } from './tokens.js';
import type { AccessEntry } from '../lib/principal.js';

const repositoryActions = ['pull', 'push', 'delete'] as const;

export async function grantAccess(deps: AuthDeps, principal: Principal, requested: AccessEntry[]): Promise<AccessEntry[]> {
  const sysadmin = principal.kind === 'user' && principal.sysadmin;
  const granted: AccessEntry[] = [];
  for (const entry of requested) {
    if (entry.type === 'registry' && entry.name === 'catalog') {
      granted.push({ ...entry, actions: sysadmin ? entry.actions : [] });
      continue;
    }
    if (entry.type !== 'repository' || !isValidName(entry.name)) {
      granted.push({ ...entry, actions: [] });
      continue;
    }
    const d = await repositoryAccess(deps.db, principal, entry.name);
    const held = new Set(repositoryActions.filter((a) => d.exists && can(d.access, 'repository', a)));
    const actions = entry.actions.filter((a) => (a === '*' ? repositoryActions.every((x) => held.has(x)) : held.has(a as (typeof repositoryActions)[number])));
    granted.push({ type: entry.type, name: entry.name, actions });
  }
  return granted;
}

export async function issueRegistryToken(deps: AuthDeps, principal: Principal, requested: AccessEntry[]): Promise<IssuedToken> {
  const access = await grantAccess(deps, principal, requested);
  return issueToken(deps.keys()[0], {
    issuer: tokenIssuer,
    service: deps.tokenService,
    subject: principal.kind === 'user' ? principal.username : principal.kind === 'robot' ? principal.name : '',
    access,
    ttlSeconds: Math.round(deps.tokenExpirationMs / 1000),
  });
}
