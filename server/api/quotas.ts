// /api/v2.0/quotas (Harbor v2 shapes; a quota's id is its project's id).
import type Router from '@koa/router';
import type { ApiDeps } from './deps.js';
import { getQuota, listQuotasFor, setQuota } from '../projects/quotas.js';
import { jsonBody, principal } from './auth.js';
import { pagingOf, respondPage } from './listing.js';
import { respondDone } from './respond.js';

export function registerQuotas(router: Router, deps: ApiDeps): void {
  // GET /quotas (administrators)
  router.get('/quotas', async (ctx) => {
    const paging = pagingOf(ctx);
    const { items, total } = await listQuotasFor(deps.db, principal(ctx), paging);
    respondPage(ctx, items, total, paging);
  });
  // GET /quotas/{id}
  router.get('/quotas/:id', async (ctx) => {
    ctx.body = await getQuota(deps.db, principal(ctx), ctx.params.id);
  });
  // PUT /quotas/{id} — {hard: {storage: bytes | -1}}
  router.put('/quotas/:id', async (ctx) => {
    await setQuota(deps.db, principal(ctx), ctx.params.id, await jsonBody(ctx));
    respondDone(ctx);
  });
}
