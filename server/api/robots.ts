// /api/v2.0/robots (Harbor v2 shapes).
import type Router from '@koa/router';
import type { ApiDeps } from './deps.js';
import { createRobot, deleteRobot, editRobot, getRobot, listRobotsFor, refreshRobotSecret, robotFilterKeys } from '../projects/robots.js';
import { jsonBody, principal } from './auth.js';
import { listParams, respondPage } from './listing.js';
import { respondDone } from './respond.js';

export function registerRobots(router: Router, deps: ApiDeps): void {
  // GET /robots[?q=ProjectID=<id>,Level=system|project,name=~x]
  router.get('/robots', async (ctx) => {
    const { filters, paging } = listParams(ctx, robotFilterKeys, []);
    const { items, total } = await listRobotsFor(deps.db, principal(ctx), filters, paging);
    respondPage(ctx, items, total, paging);
  });
  // POST /robots — 201 {id, name, secret, creation_time, expires_at}; the secret is never shown again.
  router.post('/robots', async (ctx) => {
    const created = await createRobot(deps.db, principal(ctx), await jsonBody(ctx));
    ctx.status = 201;
    ctx.set('Location', `/api/v2.0/robots/${created.id}`);
    ctx.body = created;
  });
  // GET /robots/{robot_id}
  router.get('/robots/:robot_id', async (ctx) => {
    ctx.body = await getRobot(deps.db, principal(ctx), ctx.params.robot_id);
  });
  // PUT /robots/{robot_id}
  router.put('/robots/:robot_id', async (ctx) => {
    await editRobot(deps.db, principal(ctx), ctx.params.robot_id, await jsonBody(ctx));
    respondDone(ctx);
  });
  // PATCH /robots/{robot_id} — {secret: ""} generates a new secret
  router.patch('/robots/:robot_id', async (ctx) => {
    ctx.body = await refreshRobotSecret(deps.db, principal(ctx), ctx.params.robot_id, await jsonBody(ctx));
  });
  // DELETE /robots/{robot_id}
  router.delete('/robots/:robot_id', async (ctx) => {
    await deleteRobot(deps.db, principal(ctx), ctx.params.robot_id);
    respondDone(ctx);
  });
}
