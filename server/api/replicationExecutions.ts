// /api/v2.0/replication/executions (Harbor v2 shapes).
import type Router from '@koa/router';
import { getExecutionFor, listExecutionsFor, listTasksFor, startExecution, stopExecutionFor, taskLogFor } from '../replication/executions.js';
import { jsonBody, principal } from './auth.js';
import { pagingOf, queryParam, respondPage } from './listing.js';
import type { ReplicationDeps } from '../replication/registries.js';
import { respondCreated, respondDone } from './respond.js';

export function registerReplicationExecutions(router: Router, deps: ReplicationDeps): void {
  // GET /replication/executions?policy_id=&status=&trigger=&page=&page_size=
  router.get('/replication/executions', async (ctx) => {
    const paging = pagingOf(ctx);
    const filter = { policy_id: queryParam(ctx, 'policy_id'), status: queryParam(ctx, 'status'), trigger: queryParam(ctx, 'trigger') };
    const { items, total } = await listExecutionsFor(deps, principal(ctx), filter, paging);
    respondPage(ctx, items, total, paging);
  });
  // POST /replication/executions {policy_id} → 201, Location …/executions/{id}: a manual run.
  router.post('/replication/executions', async (ctx) => {
    const id = await startExecution(deps, principal(ctx), await jsonBody(ctx));
    respondCreated(ctx, `/api/v2.0/replication/executions/${id}`);
  });
  // GET /replication/executions/{id}
  router.get('/replication/executions/:id', async (ctx) => {
    ctx.body = await getExecutionFor(deps, principal(ctx), ctx.params.id);
  });
  // PUT /replication/executions/{id}: stops the run (Harbor's verb).
  router.put('/replication/executions/:id', async (ctx) => {
    await stopExecutionFor(deps, principal(ctx), ctx.params.id);
    respondDone(ctx);
  });
  // GET /replication/executions/{id}/tasks?status=&resource_type=&page=&page_size=
  router.get('/replication/executions/:id/tasks', async (ctx) => {
    const paging = pagingOf(ctx);
    const { items, total } = await listTasksFor(
      deps,
      principal(ctx),
      ctx.params.id,
      { status: queryParam(ctx, 'status'), resource_type: queryParam(ctx, 'resource_type') },
      paging,
    );
    respondPage(ctx, items, total, paging);
  });
  // GET /replication/executions/{id}/tasks/{task_id}/log: text.
  router.get('/replication/executions/:id/tasks/:task_id/log', async (ctx) => {
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = await taskLogFor(deps, principal(ctx), ctx.params.id, ctx.params.task_id);
  });
}
