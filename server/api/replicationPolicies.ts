// /api/v2.0/replication/policies (Harbor v2 shapes).
import type Koa from 'koa';
import type { AuthDeps } from '../auth/resolvers.js';
import { createPolicy, deletePolicy, editPolicy, getPolicy, listPoliciesFor } from '../replication/policies.js';
import { jsonBody, principal } from './auth.js';
import { nameAndPaging, respondPage } from './listing.js';
import { replicationDeps } from './registries.js';
import { respondCreated, respondDone } from './respond.js';

export function replicationPolicyRoutes(auth: AuthDeps) {
  const deps = () => replicationDeps(auth);
  return {
    list: (async (ctx) => {
      const { name, paging } = nameAndPaging(ctx);
      const { items, total } = await listPoliciesFor(deps(), principal(ctx), name, paging);
      respondPage(ctx, items, total, paging);
    }) as Koa.Middleware,
    create: (async (ctx) => {
      const id = await createPolicy(deps(), principal(ctx), await jsonBody(ctx));
      respondCreated(ctx, `/api/v2.0/replication/policies/${id}`);
    }) as Koa.Middleware,
    get: (async (ctx) => {
      ctx.body = await getPolicy(deps(), principal(ctx), ctx.params.id);
    }) as Koa.Middleware,
    update: (async (ctx) => {
      await editPolicy(deps(), principal(ctx), ctx.params.id, await jsonBody(ctx));
      respondDone(ctx);
    }) as Koa.Middleware,
    remove: (async (ctx) => {
      await deletePolicy(deps(), principal(ctx), ctx.params.id);
      respondDone(ctx);
    }) as Koa.Middleware,
  };
}
