// /api/v2.0/replication/policies (Harbor v2 shapes).
import type Router from '@koa/router';
import { createPolicy, deletePolicy, editPolicy, getPolicy, listPoliciesFor } from '../replication/policies.js';
import { jsonBody, principal } from './auth.js';
import { nameAndPaging, respondPage } from './listing.js';
import type { ReplicationDeps } from '../replication/registries.js';
import { respondCreated, respondDone } from './respond.js';

export function registerReplicationPolicies(router: Router, deps: ReplicationDeps): void {
  // GET /replication/policies?q=name=~x&page=&page_size=
  router.get('/replication/policies', async (ctx) => {
    const { name, paging } = nameAndPaging(ctx);
    const { items, total } = await listPoliciesFor(deps, principal(ctx), name, paging);
    respondPage(ctx, items, total, paging);
  });
  // POST /replication/policies → 201, Location …/policies/{id}
  router.post('/replication/policies', async (ctx) => {
    const id = await createPolicy(deps, principal(ctx), await jsonBody(ctx));
    respondCreated(ctx, `/api/v2.0/replication/policies/${id}`);
  });
  // GET /replication/policies/{id}
  router.get('/replication/policies/:id', async (ctx) => {
    ctx.body = await getPolicy(deps, principal(ctx), ctx.params.id);
  });
  // PUT /replication/policies/{id}: the whole policy.
  router.put('/replication/policies/:id', async (ctx) => {
    await editPolicy(deps, principal(ctx), ctx.params.id, await jsonBody(ctx));
    respondDone(ctx);
  });
  // DELETE /replication/policies/{id}
  router.delete('/replication/policies/:id', async (ctx) => {
    await deletePolicy(deps, principal(ctx), ctx.params.id);
    respondDone(ctx);
  });
}
