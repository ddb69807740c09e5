// /api/v2.0/retentions… (Harbor v2 shapes): a project's tag retention policy, its runs, their tasks and logs.
import type Router from '@koa/router';
import {
  createRetention,
  deleteRetention,
  getRetentionPolicy,
  getRetentionTaskLog,
  listRetentionRunTasks,
  listRetentionRuns,
  retentionMetadata,
  runRetention,
  stopRetentionRun,
  updateRetention,
} from '../retention/policies.js';
import { jsonBody, principal } from './auth.js';
import type { ApiDeps } from './deps.js';
import { pagingOf, respondPage } from './listing.js';
import { respondCreated, respondDone } from './respond.js';

export function registerRetention(router: Router, deps: ApiDeps): void {
  // GET /retentions/metadatas: the templates and selectors a rule may use.
  // NOTE: before /retentions/:id, which would take it as an id.
  router.get('/retentions/metadatas', async (ctx) => {
    ctx.body = retentionMetadata;
  });
  // POST /retentions {algorithm: or, rules, trigger: {kind: Schedule, settings: {cron}}, scope: {level: project, ref}} → 201, Location …/{id}
  router.post('/retentions', async (ctx) => {
    const id = await createRetention(deps.db, principal(ctx), await jsonBody(ctx));
    respondCreated(ctx, `/api/v2.0/retentions/${id}`);
  });
  // GET /retentions/{id}
  router.get('/retentions/:id', async (ctx) => {
    ctx.body = await getRetentionPolicy(deps.db, principal(ctx), ctx.params.id);
  });
  // PUT /retentions/{id}: the whole policy.
  router.put('/retentions/:id', async (ctx) => {
    await updateRetention(deps.db, principal(ctx), ctx.params.id, await jsonBody(ctx));
    respondDone(ctx);
  });
  // DELETE /retentions/{id}
  router.delete('/retentions/:id', async (ctx) => {
    await deleteRetention(deps.db, principal(ctx), ctx.params.id);
    respondDone(ctx);
  });
  // POST /retentions/{id}/executions {dry_run} → 201, Location …/executions/{eid}
  router.post('/retentions/:id/executions', async (ctx) => {
    const eid = await runRetention(deps.db, principal(ctx), ctx.params.id, await jsonBody(ctx));
    respondCreated(ctx, `/api/v2.0/retentions/${ctx.params.id}/executions/${eid}`);
  });
  // GET /retentions/{id}/executions?page=&page_size= — newest first.
  router.get('/retentions/:id/executions', async (ctx) => {
    const paging = pagingOf(ctx);
    const { items, total } = await listRetentionRuns(deps.db, principal(ctx), ctx.params.id, paging);
    respondPage(ctx, items, total, paging);
  });
  // PATCH /retentions/{id}/executions/{eid} {action: stop}
  router.patch('/retentions/:id/executions/:eid', async (ctx) => {
    await stopRetentionRun(deps.db, principal(ctx), ctx.params.id, ctx.params.eid, await jsonBody(ctx));
    respondDone(ctx);
  });
  // GET /retentions/{id}/executions/{eid}/tasks: one per repository the rules selected.
  router.get('/retentions/:id/executions/:eid/tasks', async (ctx) => {
    const paging = pagingOf(ctx);
    const { items, total } = await listRetentionRunTasks(deps.db, principal(ctx), ctx.params.id, ctx.params.eid, paging);
    respondPage(ctx, items, total, paging);
  });
  // GET /retentions/{id}/executions/{eid}/tasks/{tid}: text, the task's table of what was kept and deleted.
  router.get('/retentions/:id/executions/:eid/tasks/:tid', async (ctx) => {
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = await getRetentionTaskLog(deps.db, principal(ctx), ctx.params.id, ctx.params.eid, ctx.params.tid);
  });
}
