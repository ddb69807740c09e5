// /api/v2.0/quotas (Harbor v2 shapes; a quota's id is its project's id).
import type Koa from 'koa';
import type { AuthDeps } from '../auth/resolvers.js';
import { getQuota, listQuotasFor, setQuota } from '../projects/quotas.js';
import { jsonBody, principal } from './auth.js';
import { pagingOf, respondPage } from './listing.js';
import { respondDone } from './respond.js';

export function quotaRoutes(deps: AuthDeps) {
  return {
    // GET /quotas (administrators)
    list: (async (ctx) => {
      const paging = pagingOf(ctx);
      const { items, total } = await listQuotasFor(deps.db, principal(ctx), paging);
      respondPage(ctx, items, total, paging);
    }) as Koa.Middleware,
    // GET /quotas/{id}
    get: (async (ctx) => {
      ctx.body = await getQuota(deps.db, principal(ctx), ctx.params.id);
    }) as Koa.Middleware,
    // PUT /quotas/{id} — {hard: {storage: bytes | -1}}
    update: (async (ctx) => {
      await setQuota(deps.db, principal(ctx), ctx.params.id, await jsonBody(ctx));
      respondDone(ctx);
    }) as Koa.Middleware,
  };
}
