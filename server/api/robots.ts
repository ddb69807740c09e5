// /api/v2.0/robots (Harbor v2 shapes).
import type Koa from 'koa';
import type { AuthDeps } from '../auth/resolvers.js';
import { createRobot, deleteRobot, editRobot, getRobot, listRobotsFor, refreshRobotSecret, robotFilterKeys } from '../projects/robots.js';
import { jsonBody, principal } from './auth.js';
import { listParams, respondPage } from './listing.js';
import { respondDone } from './respond.js';

export function robotRoutes(deps: AuthDeps) {
  return {
    // POST /robots — 201 {id, name, secret, creation_time, expires_at}; the secret is never shown again.
    create: (async (ctx) => {
      const created = await createRobot(deps.db, principal(ctx), await jsonBody(ctx));
      ctx.status = 201;
      ctx.set('Location', `/api/v2.0/robots/${created.id}`);
      ctx.body = created;
    }) as Koa.Middleware,
    // GET /robots[?q=ProjectID=<id>,Level=system|project,name=~x]
    list: (async (ctx) => {
      const { filters, paging } = listParams(ctx, robotFilterKeys, []);
      const { items, total } = await listRobotsFor(deps.db, principal(ctx), filters, paging);
      respondPage(ctx, items, total, paging);
    }) as Koa.Middleware,
    // GET /robots/{robot_id}
    get: (async (ctx) => {
      ctx.body = await getRobot(deps.db, principal(ctx), ctx.params.robot_id);
    }) as Koa.Middleware,
    // PUT /robots/{robot_id}
    update: (async (ctx) => {
      await editRobot(deps.db, principal(ctx), ctx.params.robot_id, await jsonBody(ctx));
      respondDone(ctx);
    }) as Koa.Middleware,
    // PATCH /robots/{robot_id} — {secret: ""} generates a new secret
    refresh: (async (ctx) => {
      ctx.body = await refreshRobotSecret(deps.db, principal(ctx), ctx.params.robot_id, await jsonBody(ctx));
    }) as Koa.Middleware,
    // DELETE /robots/{robot_id}
    remove: (async (ctx) => {
      await deleteRobot(deps.db, principal(ctx), ctx.params.robot_id);
      respondDone(ctx);
    }) as Koa.Middleware,
  };
}
