// The management API (/api/v2.0, Harbor's API) and the console's session login beside it.
// Each resource's file registers its routes, method, path and spec comment above each; this
// file says which resources there are and what runs before them. Every route is described
// in docs/openapi.yaml (a test holds the two together).
import Router from '@koa/router';
import type { AuthDeps } from '../auth/resolvers.js';
import type { ApiDeps } from './deps.js';
import { apiPrincipal } from './auth.js';
import { registerAuditLogs } from './audit.js';
import { registerConfigurations } from './configurations.js';
import { registerConsoleLogin } from './consoleLogin.js';
import { registerGc } from './gc.js';
import { healthRoute } from './health.js';
import { registerImmutableRules } from './immutableRules.js';
import { checkRequestText } from './listing.js';
import { openApi, ping } from './meta.js';
import { registerOidcLogin } from './oidcLogin.js';
import { registerProjects } from './projects.js';
import { registerQuotas } from './quotas.js';
import { registerRegistries } from './registries.js';
import { registerReplicationExecutions } from './replicationExecutions.js';
import { registerReplicationPolicies } from './replicationPolicies.js';
import { registerRepositories } from './repositories.js';
import { registerRetention } from './retention.js';
import { registerRobots } from './robots.js';
import { registerScanning } from './scanning.js';
import { registerSigningKeys } from './signingKeys.js';
import { systemInfo, systemVolumes } from './systeminfo.js';
import { registerUserGroups } from './userGroups.js';
import { registerUsers } from './users.js';

export function managementRouter(deps: ApiDeps): Router {
  const api = new Router({ prefix: '/api/v2.0' });
  api.use(apiPrincipal(deps.auth));
  api.use(checkRequestText);
  api.get('/ping', ping);
  api.get('/health', healthRoute(deps.db, deps.store));
  api.get('/openapi.yaml', openApi);
  api.get('/systeminfo', systemInfo(deps.auth, deps.store.name));
  api.get('/systeminfo/volumes', systemVolumes(deps.store));
  registerProjects(api, deps);
  registerRepositories(api, deps);
  registerImmutableRules(api, deps);
  registerAuditLogs(api, deps);
  registerQuotas(api, deps);
  registerGc(api, deps);
  registerRetention(api, deps);
  registerSigningKeys(api, deps);
  // Replication registers itself only where it is configured (a server always is; an
  // embedding without it answers 404 on these paths rather than failing inside them).
  if (deps.replication) {
    const replication = { db: deps.db, ...deps.replication };
    registerRegistries(api, replication);
    registerReplicationPolicies(api, replication);
    registerReplicationExecutions(api, replication);
    // Scanners are reached through the same guard and their credentials sealed with the same key.
    registerScanning(api, { db: deps.db, box: deps.replication.box, allow: deps.replication.allow });
  }
  registerRobots(api, deps);
  registerUsers(api, deps);
  registerUserGroups(api, deps);
  registerConfigurations(api, deps);
  return api;
}

/** The console's session login, outside /api/v2.0 as in Harbor; errors in Harbor's shape. */
export function consoleLoginRouter(auth: AuthDeps): Router {
  const c = new Router({ prefix: '/c' });
  // The OIDC callback takes query parameters from the provider's redirect: checked as the API's are.
  c.use(checkRequestText);
  registerConsoleLogin(c, auth);
  registerOidcLogin(c, auth);
  return c;
}
