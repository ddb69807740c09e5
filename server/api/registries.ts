// /api/v2.0/registries and /api/v2.0/replication/adapters|adapterinfos (Harbor v2 shapes).
import type Router from '@koa/router';
import { requireUser } from '../lib/principal.js';
import { adapterInfos, registryTypes } from '../replication/adapters.js';
import {
  createRegistry,
  deleteRegistry,
  editRegistry,
  getRegistry,
  getRegistryInfo,
  listRegistriesFor,
  pingRegistry,
  type ReplicationDeps,
} from '../replication/registries.js';
import { jsonBody, principal } from './auth.js';
import { nameAndPaging, respondPage } from './listing.js';
import { respondCreated, respondDone } from './respond.js';

export function registerRegistries(router: Router, deps: ReplicationDeps): void {
  // GET /registries?q=name=~x&page=&page_size=
  router.get('/registries', async (ctx) => {
    const { name, paging } = nameAndPaging(ctx);
    const { items, total } = await listRegistriesFor(deps, principal(ctx), name, paging);
    respondPage(ctx, items, total, paging);
  });
  // POST /registries → 201, Location /api/v2.0/registries/{id}
  router.post('/registries', async (ctx) => {
    const id = await createRegistry(deps, principal(ctx), await jsonBody(ctx));
    respondCreated(ctx, `/api/v2.0/registries/${id}`);
  });
  // POST /registries/ping {id?, type, url, credential…}: 200 when reachable with these credentials.
  router.post('/registries/ping', async (ctx) => {
    await pingRegistry(deps, principal(ctx), await jsonBody(ctx));
    respondDone(ctx);
  });
  // GET /registries/{id}: the secret comes back masked.
  router.get('/registries/:id', async (ctx) => {
    ctx.body = await getRegistry(deps, principal(ctx), ctx.params.id);
  });
  // GET /registries/{id}/info
  router.get('/registries/:id/info', async (ctx) => {
    ctx.body = await getRegistryInfo(deps, principal(ctx), ctx.params.id);
  });
  // PUT /registries/{id} {name?, url?, credential?, insecure?, description?}
  router.put('/registries/:id', async (ctx) => {
    await editRegistry(deps, principal(ctx), ctx.params.id, await jsonBody(ctx));
    respondDone(ctx);
  });
  // DELETE /registries/{id}: 409 while a replication rule uses it.
  router.delete('/registries/:id', async (ctx) => {
    await deleteRegistry(deps, principal(ctx), ctx.params.id);
    respondDone(ctx);
  });
  // GET /replication/adapters: the registry types a target may be.
  router.get('/replication/adapters', async (ctx) => {
    requireUser(principal(ctx));
    ctx.body = [...registryTypes];
  });
  // GET /replication/adapterinfos: each type's endpoint and credential fields, for the console's form.
  router.get('/replication/adapterinfos', async (ctx) => {
    requireUser(principal(ctx));
    ctx.body = adapterInfos();
  });
}
