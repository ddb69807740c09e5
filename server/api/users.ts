// /api/v2.0/users (Harbor v2 shapes).
import type Router from '@koa/router';
import type { ApiDeps } from './deps.js';
import {
  changePassword,
  createUser,
  currentUser,
  deleteUser,
  getUserFor,
  listUsersFor,
  searchUsers,
  setCliSecret,
  setSysadmin,
  updateUserProfile,
} from '../projects/users.js';
import { currentPermissions } from '../projects/userPermissions.js';
import { jsonBody, principal } from './auth.js';
import { pagingOf, queryParam, respondPage } from './listing.js';
import { respondCreated, respondDone } from './respond.js';
import { DomainError } from '../lib/errors.js';

export function registerUsers(router: Router, deps: ApiDeps): void {
  // GET /users?username=&page=&page_size= (administrators)
  router.get('/users', async (ctx) => {
    const paging = pagingOf(ctx);
    const { items, total } = await listUsersFor(deps.db, principal(ctx), queryParam(ctx, 'username'), paging);
    respondPage(ctx, items, total, paging);
  });
  // POST /users — system administrators; 201 with Location /api/v2.0/users/{id}.
  router.post('/users', async (ctx) => {
    const id = await createUser(deps.db, principal(ctx), await jsonBody(ctx));
    respondCreated(ctx, `/api/v2.0/users/${id}`);
  });
  // NOTE: the fixed paths before /users/:user_id, which would take them as ids.
  // GET /users/current
  router.get('/users/current', async (ctx) => {
    ctx.body = await currentUser(deps.db, principal(ctx), deps.auth.identity.box);
  });
  // GET /users/current/permissions?scope=/project/{id}&relative=true
  router.get('/users/current/permissions', async (ctx) => {
    const relative = queryParam(ctx, 'relative');
    if (relative !== undefined && relative !== 'true' && relative !== 'false') throw new DomainError('INVALID', 'relative must be true or false');
    ctx.body = await currentPermissions(deps.db, principal(ctx), queryParam(ctx, 'scope'), relative === 'true');
  });
  // GET /users/search?username=&page=&page_size=
  router.get('/users/search', async (ctx) => {
    const paging = pagingOf(ctx);
    const { items, total } = await searchUsers(deps.db, principal(ctx), queryParam(ctx, 'username'), paging);
    respondPage(ctx, items, total, paging);
  });
  // GET /users/{user_id}
  router.get('/users/:user_id', async (ctx) => {
    ctx.body = await getUserFor(deps.db, principal(ctx), ctx.params.user_id);
  });
  // PUT /users/{user_id} — {email, realname, comment}
  router.put('/users/:user_id', async (ctx) => {
    await updateUserProfile(deps.db, principal(ctx), ctx.params.user_id, await jsonBody(ctx));
    respondDone(ctx);
  });
  // PUT /users/{user_id}/password — {old_password, new_password}
  router.put('/users/:user_id/password', async (ctx) => {
    await changePassword(deps.db, principal(ctx), ctx.params.user_id, await jsonBody(ctx));
    respondDone(ctx);
  });
  // PUT /users/{user_id}/cli_secret — {secret} (an OIDC user's own; administrators anyone's)
  router.put('/users/:user_id/cli_secret', async (ctx) => {
    await setCliSecret(deps.db, deps.auth.identity.box, principal(ctx), ctx.params.user_id, await jsonBody(ctx));
    respondDone(ctx);
  });
  // PUT /users/{user_id}/sysadmin — {sysadmin_flag} (administrators)
  router.put('/users/:user_id/sysadmin', async (ctx) => {
    await setSysadmin(deps.db, principal(ctx), ctx.params.user_id, await jsonBody(ctx));
    respondDone(ctx);
  });
  // DELETE /users/{user_id} (administrators)
  router.delete('/users/:user_id', async (ctx) => {
    await deleteUser(deps.db, principal(ctx), ctx.params.user_id);
    respondDone(ctx);
  });
}
