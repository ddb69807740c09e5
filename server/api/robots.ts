// /api/v2.0/robots (Harbor v2 shapes).
import type Koa from 'koa';
import type { AuthDeps } from '../auth/resolvers.js';
import { createRobot, deleteRobot, editRobot, getRobot, listRobotsFor, refreshRobotSecret } from '../projects/robots.js';
import { jsonBody, principal } from './auth.js';
import { ApiError } from './errors.js';
import { pagingOf, queryParam, respondPage } from './listing.js';
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
    // GET /robots[?q=ProjectID=<id>]
    list: (async (ctx) => {
      const q = queryParam(ctx, 'q');
      const m = q ? /^(?:Level=project,)?ProjectID=(\d{1,15})(?:,Level=project)?$/.exec(q) : null;
      if (q && !m) throw new ApiError('BAD_REQUEST', 'robots can be filtered by q=ProjectID=<id> only');
      const paging = pagingOf(ctx);
      const { items, total } = await listRobotsFor(deps.db, principal(ctx), m ? Number(m[1]) : undefined, paging);
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
