// /api/v2.0/system/gc… (Harbor v2 shapes): garbage collection's history, logs, runs and schedule.
import type Router from '@koa/router';
import { createGcSchedule, getGcLog, getGcRun, getGcSchedule, listGcHistory, stopGcRun, updateGcSchedule } from '../gc/runs.js';
import { jsonBody, principal } from './auth.js';
import type { ApiDeps } from './deps.js';
import { listParams, respondPage } from './listing.js';
import { respondCreated, respondDone } from './respond.js';
import { DomainError } from '../lib/errors.js';

export function registerGc(router: Router, deps: ApiDeps): void {
  // NOTE: the fixed path before /system/gc/:gc_id, which would take it as an id.
  // GET /system/gc/schedule
  router.get('/system/gc/schedule', async (ctx) => {
    ctx.body = await getGcSchedule(deps.db, principal(ctx));
  });
  // POST /system/gc/schedule {schedule: {type: Manual}, parameters: {delete_untagged, dry_run, workers}} → 201,
  // Location /api/v2.0/system/gc/{id}; any other type sets the schedule.
  router.post('/system/gc/schedule', async (ctx) => {
    const id = await createGcSchedule(deps.db, principal(ctx), await jsonBody(ctx));
    respondCreated(ctx, id === undefined ? undefined : `/api/v2.0/system/gc/${id}`);
  });
  // PUT /system/gc/schedule {schedule: {type: None|Hourly|Daily|Weekly|Custom, cron}, parameters}
  router.put('/system/gc/schedule', async (ctx) => {
    await updateGcSchedule(deps.db, principal(ctx), await jsonBody(ctx));
    respondDone(ctx);
  });
  // GET /system/gc?sort=-creation_time&page=&page_size= — newest first.
  router.get('/system/gc', async (ctx) => {
    const { sort, paging } = listParams(ctx, [], ['creation_time', 'id']);
    if (sort.length > 1) throw new DomainError('INVALID', 'sort by one key: creation_time or -creation_time');
    const { items, total } = await listGcHistory(deps.db, principal(ctx), paging, sort[0]?.descending ?? true);
    respondPage(ctx, items, total, paging);
  });
  // GET /system/gc/{gc_id}
  router.get('/system/gc/:gc_id', async (ctx) => {
    ctx.body = await getGcRun(deps.db, principal(ctx), ctx.params.gc_id);
  });
  // GET /system/gc/{gc_id}/log: text, what the run deleted (or would delete) line by line.
  router.get('/system/gc/:gc_id/log', async (ctx) => {
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = await getGcLog(deps.db, principal(ctx), ctx.params.gc_id);
  });
  // PUT /system/gc/{gc_id}: stops the run (Harbor's verb); 412 once it has ended.
  router.put('/system/gc/:gc_id', async (ctx) => {
    await stopGcRun(deps.db, principal(ctx), ctx.params.gc_id);
    respondDone(ctx);
  });
}
