// /api/v2.0/usergroups (Harbor's shapes): directory groups known to Berth, to add to projects.
import type Router from '@koa/router';
import type { ApiDeps } from './deps.js';
import { jsonBody, principal } from './auth.js';
import { pagingOf, queryParam, respondPage } from './listing.js';
import { respondCreated, respondDone } from './respond.js';
import { UserGroups } from '../identity/userGroups.js';

export function registerUserGroups(router: Router, deps: ApiDeps): void {
  const groups = new UserGroups(deps.db, deps.auth.identity);
  // GET /usergroups?group_name=&ldap_group_dn=&group_type=&page=&page_size= (administrators)
  router.get('/usergroups', async (ctx) => {
    const paging = pagingOf(ctx);
    const f = { groupName: queryParam(ctx, 'group_name'), ldapGroupDn: queryParam(ctx, 'ldap_group_dn'), groupType: queryParam(ctx, 'group_type') };
    const { items, total } = await groups.list(principal(ctx), f, paging);
    respondPage(ctx, items, total, paging);
  });
  // POST /usergroups — {group_name?, group_type: 1, ldap_group_dn}; 201 with Location.
  router.post('/usergroups', async (ctx) => {
    const id = await groups.create(principal(ctx), await jsonBody(ctx));
    respondCreated(ctx, `/api/v2.0/usergroups/${id}`);
  });
  // NOTE: before /usergroups/:group_id, which would take "search" as an id.
  // GET /usergroups/search?groupname=&page=&page_size= (any user)
  router.get('/usergroups/search', async (ctx) => {
    const paging = pagingOf(ctx);
    const { items, total } = await groups.search(principal(ctx), queryParam(ctx, 'groupname'), paging);
    respondPage(ctx, items, total, paging);
  });
  // GET /usergroups/{group_id}
  router.get('/usergroups/:group_id', async (ctx) => {
    ctx.body = await groups.get(principal(ctx), ctx.params.group_id);
  });
  // PUT /usergroups/{group_id} — {group_name}
  router.put('/usergroups/:group_id', async (ctx) => {
    await groups.rename(principal(ctx), ctx.params.group_id, await jsonBody(ctx));
    respondDone(ctx);
  });
  // DELETE /usergroups/{group_id}
  router.delete('/usergroups/:group_id', async (ctx) => {
    await groups.remove(principal(ctx), ctx.params.group_id);
    respondDone(ctx);
  });
}
