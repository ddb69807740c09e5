// /api/v2.0/replication/executions (Harbor v2 shapes).
import type Koa from 'koa';
import type { AuthDeps } from '../auth/resolvers.js';
import { getExecutionFor, listExecutionsFor, listTasksFor, startExecution, stopExecutionFor, taskLogFor } from '../replication/executions.js';
import { jsonBody, principal } from './auth.js';
import { pagingOf, queryParam, respondPage } from './listing.js';
import { replicationDeps } from './registries.js';
import { respondCreated, respondDone } from './respond.js';

export function replicationExecutionRoutes(auth: AuthDeps) {
  const deps = () => replicationDeps(auth);
  return {
    // GET /replication/executions?policy_id=&status=&trigger=&page=&page_size=
    list: (async (ctx) => {
      const paging = pagingOf(ctx);
      const filter = { policy_id: queryParam(ctx, 'policy_id'), status: queryParam(ctx, 'status'), trigger: queryParam(ctx, 'trigger') };
      const { items, total } = await listExecutionsFor(deps(), principal(ctx), filter, paging);
      respondPage(ctx, items, total, paging);
    }) as Koa.Middleware,
    start: (async (ctx) => {
      const id = await startExecution(deps(), principal(ctx), await jsonBody(ctx));
      respondCreated(ctx, `/api/v2.0/replication/executions/${id}`);
    }) as Koa.Middleware,
    get: (async (ctx) => {
      ctx.body = await getExecutionFor(deps(), principal(ctx), ctx.params.id);
    }) as Koa.Middleware,
    stop: (async (ctx) => {
      await stopExecutionFor(deps(), principal(ctx), ctx.params.id);
      respondDone(ctx);
    }) as Koa.Middleware,
    tasks: (async (ctx) => {
      const paging = pagingOf(ctx);
      const { items, total } = await listTasksFor(
        deps(),
        principal(ctx),
        ctx.params.id,
        { status: queryParam(ctx, 'status'), resource_type: queryParam(ctx, 'resource_type') },
        paging,
      );
      respondPage(ctx, items, total, paging);
    }) as Koa.Middleware,
    log: (async (ctx) => {
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = await taskLogFor(deps(), principal(ctx), ctx.params.id, ctx.params.task_id);
    }) as Koa.Middleware,
  };
}
