// The Koa application and its one global middleware chain. Order matters; see the NOTEs.
import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import Koa from 'koa';
import { healthRoute } from '../api/health.js';
import type { Database } from '../db/database.js';
import { ociErrors } from '../distribution/errors.js';
import { distributionRouter } from '../distribution/routes.js';
import type { Logger } from '../log/logger.js';
import type { BlobStore } from '../storage/blobStore.js';

export interface AppDeps {
  db: Database;
  store: BlobStore;
  log: Logger;
  accessLog?: boolean;
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.proxy = false;
  // Errors are rendered by the mappers below; Koa's default handler would only log them again.
  app.silent = true;

  // NOTE: first, so every response (errors included) carries the request id.
  app.use(async (ctx, next) => {
    const id = randomUUID();
    ctx.state.requestId = id;
    ctx.set('X-Request-Id', id);
    if (!deps.accessLog) return next();
    const started = performance.now();
    try {
      await next();
    } finally {
      deps.log.info({ reqId: id, method: ctx.method, path: ctx.path, status: ctx.status, ms: +(performance.now() - started).toFixed(2) }, 'request');
    }
  });

  const v2 = distributionRouter({ db: deps.db, store: deps.store });
  const v2Errors = ociErrors(deps.log);
  const api = new Router({ prefix: '/api/v2.0' });
  api.get('/health', healthRoute(deps.db, deps.store));
  const apiRoutes = api.routes();

  app.use(async (ctx, next) => {
    if (ctx.path === '/v2' || ctx.path.startsWith('/v2/')) {
      // NOTE: the version header goes out on every /v2 response, including errors.
      ctx.set('Docker-Distribution-API-Version', 'registry/2.0');
      return v2Errors(ctx, () => v2(ctx, next));
    }
    return next();
  });
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      deps.log.error({ err, reqId: ctx.state.requestId }, 'api error');
      ctx.status = 500;
      ctx.body = { errors: [{ code: 'UNKNOWN', message: 'internal server error' }] };
    }
  });
  app.use(apiRoutes);
  app.use(api.allowedMethods());
  return app;
}
