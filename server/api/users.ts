// /api/v2.0/users (Harbor v2 shapes).
import type Koa from 'koa';
import type { AuthDeps } from '../auth/resolvers.js';
import { createUser, currentUser } from '../projects/users.js';
import { jsonBody, principal } from './auth.js';

export function userRoutes(deps: AuthDeps) {
  return {
    // POST /users — system administrators; 201 with Location /api/v2.0/users/{id}.
    create: (async (ctx) => {
      const id = await createUser(deps.db, principal(ctx), await jsonBody(ctx));
      ctx.status = 201;
      ctx.set('Location', `/api/v2.0/users/${id}`);
      ctx.body = '';
    }) as Koa.Middleware,
    // GET /users/current
    current: (async (ctx) => {
      ctx.body = await currentUser(deps.db, principal(ctx));
    }) as Koa.Middleware,
  };
}
