// The Koa application and its one global middleware chain. Order matters; see the NOTEs.
import type Router from '@koa/router';
import Koa from 'koa';
import { DomainError } from '../lib/errors.js';
import { harborErrors } from '../api/errors.js';
import { consoleLoginRouter, managementRouter } from '../api/routes.js';
import type { AuthDeps } from '../auth/resolvers.js';
import type { ReplicationSettings } from '../api/deps.js';
import { clientAddressResolver, requestAudit, requestIdResolver } from '../audit/context.js';
import { AuditWriter } from '../audit/writer.js';
import { auditRefusals } from './refusals.js';
import { tokenRoute } from '../auth/tokenRoute.js';
import type { Database } from '../db/database.js';
import { ociErrors } from '../distribution/errors.js';
import { distributionRouter } from '../distribution/routes.js';
import { consoleAssets } from './console.js';
import { metricsMiddleware } from './metrics.js';
import { PullStats } from '../registry/pullStats.js';
import { PullGate } from '../registry/pullGate.js';
import type { Logger } from '../log/logger.js';
import type { BlobStore } from '../storage/blobStore.js';

export interface AppDeps {
  db: Database;
  store: BlobStore;
  log: Logger;
  auth: AuthDeps;
  /** Storage limit of new projects in bytes; -1 unlimited (BERTH_STORAGE_PER_PROJECT). */
  storagePerProject?: number;
  /** Absent: no replication routes. */
  replication?: ReplicationSettings;
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
  /** How long the pull gate keeps a project's policy (default 2 s; tests that change it and pull at once use 0). */
  pullGateCacheMs?: number;
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
  const gate = new PullGate(deps.db, deps.store, deps.pullGateCacheMs);
  const v2 = distributionRouter({ db: deps.db, store: deps.store, pulls, gate, redirectBlobs: deps.redirectBlobs }, deps.auth);
  const token = tokenRoute(deps.auth);
  const v2Errors = ociErrors(deps.log);
  const api = managementRouter({
    db: deps.db,
    store: deps.store,
    auth: deps.auth,
    storagePerProject: deps.storagePerProject,
    replication: deps.replication,
    log: deps.log,
  });
  const apiRoutes = api.routes();
  const c = consoleLoginRouter(deps.auth);

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
  app.use(harborErrors(deps.log));
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
