// The Koa application and its one global middleware chain. Order matters; see the NOTEs.
import Router from '@koa/router';
import Koa from 'koa';
import { DomainError } from '../lib/errors.js';
import { apiErrorBody, harborError } from '../api/errors.js';
import { apiPrincipal } from '../api/auth.js';
import { checkRequestText } from '../api/listing.js';
import { healthRoute } from '../api/health.js';
import { systemInfo, systemVolumes } from '../api/systeminfo.js';
import { projectRoutes } from '../api/projects.js';
import { userRoutes } from '../api/users.js';
import { repositoryRoutes } from '../api/repositories.js';
import { robotRoutes } from '../api/robots.js';
import { quotaRoutes } from '../api/quotas.js';
import { auditRoutes } from '../api/audit.js';
import { registryRoutes } from '../api/registries.js';
import { replicationPolicyRoutes } from '../api/replicationPolicies.js';
import { replicationExecutionRoutes } from '../api/replicationExecutions.js';
import { consoleLoginRoutes } from '../api/consoleLogin.js';
import type { AuthDeps } from '../auth/resolvers.js';
import { clientAddressResolver, requestAudit, requestIdResolver } from '../audit/context.js';
import { AuditWriter } from '../audit/writer.js';
import { auditRefusals } from './refusals.js';
import { tokenRoute } from '../auth/tokenRoute.js';
import { openApi, ping } from '../api/meta.js';
import type { Database } from '../db/database.js';
import { ociErrors } from '../distribution/errors.js';
import { distributionRouter } from '../distribution/routes.js';
import { consoleAssets } from './console.js';
import { metricsMiddleware } from './metrics.js';
import { PullStats } from '../registry/pullStats.js';
import type { Logger } from '../log/logger.js';
import type { BlobStore } from '../storage/blobStore.js';

export interface AppDeps {
  db: Database;
  store: BlobStore;
  log: Logger;
  auth: AuthDeps;
  accessLog?: boolean;
  /** The process's audit writer (one is made when not given); close() it on shutdown. */
  auditWriter?: AuditWriter;
  /** Proxies whose X-Forwarded-For is believed (BERTH_TRUSTED_PROXIES). */
  trustedProxies?: string[];
  /** Where the built console is (default dist/web). */
  consoleRoot?: string;
  /** false: no /metrics and no request counting (BERTH_METRICS). */
  metrics?: boolean;
  /** Blob GETs redirect to the store's pre-signed URLs (BERTH_S3_REDIRECT). */
  redirectBlobs?: boolean;
}

export function createApp(deps: AppDeps): Koa & { apiRouter: Router; consoleRouter: Router; auditWriter: AuditWriter; pulls: PullStats } {
  const app = new Koa();
  app.proxy = false;
  // Errors are rendered by the mappers below; Koa's default handler would only log them again.
  app.silent = true;
  const auditWriter = deps.auditWriter ?? new AuditWriter(deps.db, { log: deps.log });
  const clientAddress = clientAddressResolver(deps.trustedProxies ?? []);
  const requestId = requestIdResolver(deps.trustedProxies ?? []);

  // NOTE: outermost, so it sees every request's final status (and answers GET /metrics).
  if (deps.metrics !== false) app.use(metricsMiddleware(deps.db));
  // NOTE: first, so every response (errors included) carries the request id, and everything
  // after runs with the request's audit context.
  app.use(async (ctx, next) => {
    const id = requestId(ctx.req);
    ctx.state.requestId = id;
    ctx.state.clientAddress = clientAddress(ctx.req);
    ctx.set('X-Request-Id', id);
    const audit = { state: ctx.state, clientAddress: ctx.state.clientAddress, userAgent: ctx.get('User-Agent') || null, requestId: id, writer: auditWriter };
    if (!deps.accessLog) return requestAudit.run(audit, next);
    const started = performance.now();
    try {
      await requestAudit.run(audit, next);
    } finally {
      deps.log.info({ reqId: id, method: ctx.method, path: ctx.path, status: ctx.status, ms: +(performance.now() - started).toFixed(2) }, 'request');
    }
  });

  // Inside the request context (so it knows the caller) and outside the error mappers (so
  // it sees the final status).
  app.use(auditRefusals());

  const pulls = new PullStats(deps.db, deps.log);
  const v2 = distributionRouter({ db: deps.db, store: deps.store, pulls, redirectBlobs: deps.redirectBlobs }, deps.auth);
  const token = tokenRoute(deps.auth);
  const projects = projectRoutes(deps.auth);
  const users = userRoutes(deps.auth);
  const repositories = repositoryRoutes(deps.auth, deps.store);
  const robots = robotRoutes(deps.auth);
  const quotas = quotaRoutes(deps.auth);
  const audit = auditRoutes(deps.auth);
  const registries = registryRoutes(deps.auth);
  const policies = replicationPolicyRoutes(deps.auth);
  const executions = replicationExecutionRoutes(deps.auth);
  const v2Errors = ociErrors(deps.log);
  const api = new Router({ prefix: '/api/v2.0' });
  // Every route here is described in docs/openapi.yaml (a test holds the two together).
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
  const apiRoutes = api.routes();
  // The console's session login, outside /api/v2.0 as in Harbor; errors in Harbor's shape.
  const consoleLogin = consoleLoginRoutes(deps.auth);
  const c = new Router({ prefix: '/c' });
  c.post('/login', consoleLogin.login);
  c.get('/log_out', consoleLogin.logout);

  app.use(async (ctx, next) => {
    if (ctx.path === '/v2' || ctx.path.startsWith('/v2/')) {
      // NOTE: the version header goes out on every /v2 response, including errors.
      ctx.set('Docker-Distribution-API-Version', 'registry/2.0');
      return v2Errors(ctx, () => v2(ctx, next));
    }
    // The Docker token endpoint: its own small protocol, outside /v2 and /api.
    if (ctx.path === '/service/token') return token(ctx, next);
    return next();
  });
  // The /api/v2.0 error mapper: Harbor's error body for a domain or registry error, a
  // logged 500 otherwise.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const refusal = harborError(err);
      if (refusal) {
        ctx.status = refusal.status;
        ctx.body = apiErrorBody(refusal.code, refusal.message);
        ctx.state.errorCode = refusal.code;
        return;
      }
      deps.log.error({ err, reqId: ctx.state.requestId }, 'api error');
      ctx.status = 500;
      ctx.body = apiErrorBody('INTERNAL_SERVER_ERROR', `internal server error; see the server log for request id ${String(ctx.state.requestId)}`);
    }
  });
  // NOTE: wraps the router, so it sees the 404 of a path no route matched.
  app.use(async (ctx, next) => {
    await next();
    if (ctx.path.startsWith('/api/') && ctx.status === 404 && ctx.body == null) {
      throw new DomainError('NOT_FOUND', `no API resource at ${ctx.path.slice(0, 300)}`);
    }
  });
  app.use(apiRoutes);
  app.use(c.routes());
  app.use(consoleAssets(deps.consoleRoot));
  app.use(c.allowedMethods({ throw: true, methodNotAllowed: () => new DomainError('UNSUPPORTED', 'method not allowed on this resource') }));
  app.use(
    api.allowedMethods({
      throw: true,
      notImplemented: () => new DomainError('UNSUPPORTED', 'method not implemented'),
      methodNotAllowed: () => new DomainError('UNSUPPORTED', 'method not allowed on this resource'),
    }),
  );
  return Object.assign(app, { apiRouter: api, consoleRouter: c, auditWriter, pulls });
}
