// /api/v2.0/users (Harbor v2 shapes).
import type Koa from 'koa';
import type { AuthDeps } from '../auth/resolvers.js';
import {
  changePassword,
  createUser,
  currentUser,
  deleteUser,
  getUserFor,
  listUsersFor,
  searchUsers,
  setSysadmin,
  updateUserProfile,
} from '../projects/users.js';
import { currentPermissions } from '../projects/userPermissions.js';
import { jsonBody, principal } from './auth.js';
import { pagingOf, queryParam, respondPage } from './listing.js';
import { respondCreated, respondDone } from './respond.js';
import { DomainError } from '../lib/errors.js';

export function userRoutes(deps: AuthDeps) {
  return {
    // GET /users?username=&page=&page_size= (administrators)
    list: (async (ctx) => {
      const paging = pagingOf(ctx);
      const { items, total } = await listUsersFor(deps.db, principal(ctx), queryParam(ctx, 'username'), paging);
      respondPage(ctx, items, total, paging);
    }) as Koa.Middleware,
    // PUT /users/{user_id}/password — {old_password, new_password}
    password: (async (ctx) => {
      await changePassword(deps.db, principal(ctx), ctx.params.user_id, await jsonBody(ctx));
      respondDone(ctx);
    }) as Koa.Middleware,
    // PUT /users/{user_id}/sysadmin — {sysadmin_flag} (administrators)
    sysadmin: (async (ctx) => {
      await setSysadmin(deps.db, principal(ctx), ctx.params.user_id, await jsonBody(ctx));
      respondDone(ctx);
    }) as Koa.Middleware,
    // DELETE /users/{user_id} (administrators)
    remove: (async (ctx) => {
      await deleteUser(deps.db, principal(ctx), ctx.params.user_id);
      respondDone(ctx);
    }) as Koa.Middleware,
    // POST /users — system administrators; 201 with Location /api/v2.0/users/{id}.
    create: (async (ctx) => {
      const id = await createUser(deps.db, principal(ctx), await jsonBody(ctx));
      respondCreated(ctx, `/api/v2.0/users/${id}`);
    }) as Koa.Middleware,
    // GET /users/current
    current: (async (ctx) => {
      ctx.body = await currentUser(deps.db, principal(ctx));
    }) as Koa.Middleware,
    // GET /users/current/permissions?scope=/project/{id}&relative=true
    permissions: (async (ctx) => {
      const relative = queryParam(ctx, 'relative');
      if (relative !== undefined && relative !== 'true' && relative !== 'false') throw new DomainError('INVALID', 'relative must be true or false');
      ctx.body = await currentPermissions(deps.db, principal(ctx), queryParam(ctx, 'scope'), relative === 'true');
    }) as Koa.Middleware,
    // GET /users/search?username=&page=&page_size=
    search: (async (ctx) => {
      const paging = pagingOf(ctx);
      const { items, total } = await searchUsers(deps.db, principal(ctx), queryParam(ctx, 'username'), paging);
      respondPage(ctx, items, total, paging);
    }) as Koa.Middleware,
    // GET /users/{user_id}
    get: (async (ctx) => {
      ctx.body = await getUserFor(deps.db, principal(ctx), ctx.params.user_id);
    }) as Koa.Middleware,
    // PUT /users/{user_id} — {email, realname, comment}
    update: (async (ctx) => {
      await updateUserProfile(deps.db, principal(ctx), ctx.params.user_id, await jsonBody(ctx));
      respondDone(ctx);
    }) as Koa.Middleware,
  };
}
