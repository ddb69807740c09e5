// The management API's route table (/api/v2.0, Harbor's API) read top to bottom, and the
// console's session login beside it. Every route is described in docs/openapi.yaml (a test
// holds the two together); the handlers are one file per resource in this folder.
import Router from '@koa/router';
import type { AuthDeps } from '../auth/resolvers.js';
import type { Database } from '../db/database.js';
import type { BlobStore } from '../storage/blobStore.js';
import { apiPrincipal } from './auth.js';
import { auditRoutes } from './audit.js';
import { consoleLoginRoutes } from './consoleLogin.js';
import { healthRoute } from './health.js';
import { checkRequestText } from './listing.js';
import { openApi, ping } from './meta.js';
import { projectRoutes } from './projects.js';
import { quotaRoutes } from './quotas.js';
import { registryRoutes } from './registries.js';
import { replicationExecutionRoutes } from './replicationExecutions.js';
import { replicationPolicyRoutes } from './replicationPolicies.js';
import { repositoryRoutes } from './repositories.js';
import { robotRoutes } from './robots.js';
import { systemInfo, systemVolumes } from './systeminfo.js';
import { userRoutes } from './users.js';

export interface ApiDeps {
  db: Database;
  store: BlobStore;
  auth: AuthDeps;
}

export function managementRouter(deps: ApiDeps): Router {
  const projects = projectRoutes(deps.auth);
  const users = userRoutes(deps.auth);
  const repositories = repositoryRoutes(deps.auth, deps.store);
  const robots = robotRoutes(deps.auth);
  const quotas = quotaRoutes(deps.auth);
  const audit = auditRoutes(deps.auth);
  const registries = registryRoutes(deps.auth);
  const policies = replicationPolicyRoutes(deps.auth);
  const executions = replicationExecutionRoutes(deps.auth);
  const api = new Router({ prefix: '/api/v2.0' });
  api.use(apiPrincipal(deps.auth));
  api.use(checkRequestText);
  api.get('/ping', ping);
  api.get('/health', healthRoute(deps.db, deps.store));
  api.get('/openapi.yaml', openApi);
  api.get('/systeminfo', systemInfo(deps.auth, deps.store.name));
  api.get('/systeminfo/volumes', systemVolumes(deps.store));
  // NOTE: before the GET, which would otherwise answer HEAD too.
  api.head('/projects', projects.head);
  api.get('/projects', projects.list);
  api.post('/projects', projects.create);
  api.get('/projects/:project_name_or_id', projects.get);
  api.put('/projects/:project_name_or_id', projects.update);
  api.delete('/projects/:project_name_or_id', projects.remove);
  api.get('/projects/:project_name_or_id/summary', projects.summary);
  api.get('/projects/:project_name_or_id/members', projects.listMembers);
  api.post('/projects/:project_name_or_id/members', projects.addMember);
  api.get('/projects/:project_name_or_id/members/:mid', projects.getMember);
  api.put('/projects/:project_name_or_id/members/:mid', projects.updateMember);
  api.delete('/projects/:project_name_or_id/members/:mid', projects.removeMember);
  api.get('/projects/:project_name/repositories', repositories.list);
  api.get('/projects/:project_name/repositories/:repository_name', repositories.get);
  api.put('/projects/:project_name/repositories/:repository_name', repositories.update);
  api.delete('/projects/:project_name/repositories/:repository_name', repositories.remove);
  api.get('/repositories', repositories.listAll);
  api.get('/projects/:project_name/repositories/:repository_name/artifacts', repositories.artifacts);
  api.post('/projects/:project_name/repositories/:repository_name/artifacts', repositories.copyArtifact);
  api.get('/projects/:project_name/repositories/:repository_name/artifacts/:reference', repositories.artifact);
  api.delete('/projects/:project_name/repositories/:repository_name/artifacts/:reference', repositories.removeArtifact);
  api.get('/projects/:project_name/repositories/:repository_name/artifacts/:reference/tags', repositories.tags);
  api.post('/projects/:project_name/repositories/:repository_name/artifacts/:reference/tags', repositories.addTag);
  api.delete('/projects/:project_name/repositories/:repository_name/artifacts/:reference/tags/:tag_name', repositories.removeTag);
  api.get('/audit-logs', audit.list);
  api.get('/audit-logs/export', audit.export);
  api.get('/audit-logs/status', audit.status);
  api.get('/audit-logs/verify', audit.verify);
  api.post('/audit-logs/purge', audit.purge);
  api.get('/projects/:project_name_or_id/logs', audit.projectList);
  api.get('/quotas', quotas.list);
  api.get('/quotas/:id', quotas.get);
  api.put('/quotas/:id', quotas.update);
  api.get('/registries', registries.list);
  api.post('/registries', registries.create);
  api.post('/registries/ping', registries.ping);
  api.get('/registries/:id', registries.get);
  api.get('/registries/:id/info', registries.info);
  api.put('/registries/:id', registries.update);
  api.delete('/registries/:id', registries.remove);
  api.get('/replication/adapters', registries.adapters);
  api.get('/replication/adapterinfos', registries.adapterInfos);
  api.get('/replication/policies', policies.list);
  api.post('/replication/policies', policies.create);
  api.get('/replication/policies/:id', policies.get);
  api.put('/replication/policies/:id', policies.update);
  api.delete('/replication/policies/:id', policies.remove);
  api.get('/replication/executions', executions.list);
  api.post('/replication/executions', executions.start);
  api.get('/replication/executions/:id', executions.get);
  api.put('/replication/executions/:id', executions.stop);
  api.get('/replication/executions/:id/tasks', executions.tasks);
  api.get('/replication/executions/:id/tasks/:task_id/log', executions.log);
  api.get('/robots', robots.list);
  api.post('/robots', robots.create);
  api.get('/robots/:robot_id', robots.get);
  api.put('/robots/:robot_id', robots.update);
  api.patch('/robots/:robot_id', robots.refresh);
  api.delete('/robots/:robot_id', robots.remove);
  api.get('/users', users.list);
  api.post('/users', users.create);
  // NOTE: the fixed paths before /users/:user_id, which would take them as ids.
  api.get('/users/current', users.current);
  api.get('/users/current/permissions', users.permissions);
  api.get('/users/search', users.search);
  api.get('/users/:user_id', users.get);
  api.put('/users/:user_id', users.update);
  api.put('/users/:user_id/password', users.password);
  api.put('/users/:user_id/sysadmin', users.sysadmin);
  api.delete('/users/:user_id', users.remove);
  return api;
}

/** The console's session login, outside /api/v2.0 as in Harbor; errors in Harbor's shape. */
export function consoleLoginRouter(auth: AuthDeps): Router {
  const consoleLogin = consoleLoginRoutes(auth);
  const c = new Router({ prefix: '/c' });
  c.post('/login', consoleLogin.login);
  c.get('/log_out', consoleLogin.logout);

  return c;
}
