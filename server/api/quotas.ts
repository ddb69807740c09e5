// /api/v2.0/quotas (Harbor v2 shapes; a quota's id is its project's id).
import type Router from '@koa/router';
import type { ApiDeps } from './deps.js';
import { getQuota, listQuotasFor, recomputeQuotas, setQuota } from '../projects/quotas.js';
import { DomainError } from '../lib/errors.js';
import { jsonBody, principal } from './auth.js';
import { pagingOf, queryParam, respondPage } from './listing.js';
import { respondDone } from './respond.js';

export function registerQuotas(router: Router, deps: ApiDeps): void {
  // GET /quotas (administrators)
  router.get('/quotas', async (ctx) => {
    const paging = pagingOf(ctx);
    const { items, total } = await listQuotasFor(deps.db, principal(ctx), paging);
    respondPage(ctx, items, total, paging);
  });
  // POST /quotas/recompute?dry_run=true|false (Berth): usage against the blobs each project's
  // repositories link; the drift found, corrected unless a dry run.
  router.post('/quotas/recompute', async (ctx) => {
    const dry = queryParam(ctx, 'dry_run');
    if (dry !== undefined && dry !== 'true' && dry !== 'false') throw new DomainError('INVALID', 'dry_run must be true or false');
    ctx.body = await recomputeQuotas(deps.db, principal(ctx), dry === 'true');
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
