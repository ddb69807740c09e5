// /api/v2.0/registries and /api/v2.0/replication/adapters|adapterinfos (Harbor v2 shapes).
import type Koa from 'koa';
import type { AuthDeps } from '../auth/resolvers.js';
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
import { DomainError } from '../lib/errors.js';
import { nameAndPaging, respondPage } from './listing.js';
import { respondCreated, respondDone } from './respond.js';

/** What the replication services need, from the server's settings. */
export function replicationDeps(auth: AuthDeps): ReplicationDeps {
  if (!auth.replication) throw new DomainError('INTERNAL', 'replication is not configured on this server');
  return { db: auth.db, ...auth.replication };
}

export function registryRoutes(auth: AuthDeps) {
  const deps = () => replicationDeps(auth);
  return {
    // GET /registries?q=name=~x&page=&page_size=
    list: (async (ctx) => {
      const { name, paging } = nameAndPaging(ctx);
      const { items, total } = await listRegistriesFor(deps(), principal(ctx), name, paging);
      respondPage(ctx, items, total, paging);
    }) as Koa.Middleware,
    // POST /registries → 201, Location /api/v2.0/registries/{id}
    create: (async (ctx) => {
      const id = await createRegistry(deps(), principal(ctx), await jsonBody(ctx));
      respondCreated(ctx, `/api/v2.0/registries/${id}`);
    }) as Koa.Middleware,
    get: (async (ctx) => {
      ctx.body = await getRegistry(deps(), principal(ctx), ctx.params.id);
    }) as Koa.Middleware,
    // GET /registries/{id}/info
    info: (async (ctx) => {
      ctx.body = await getRegistryInfo(deps(), principal(ctx), ctx.params.id);
    }) as Koa.Middleware,
    update: (async (ctx) => {
      await editRegistry(deps(), principal(ctx), ctx.params.id, await jsonBody(ctx));
      respondDone(ctx);
    }) as Koa.Middleware,
    remove: (async (ctx) => {
      await deleteRegistry(deps(), principal(ctx), ctx.params.id);
      respondDone(ctx);
    }) as Koa.Middleware,
    // POST /registries/ping {id?, type, url, credential…}: 200 when reachable with these credentials.
    ping: (async (ctx) => {
      await pingRegistry(deps(), principal(ctx), await jsonBody(ctx));
      respondDone(ctx);
    }) as Koa.Middleware,
    adapters: (async (ctx) => {
      requireUser(principal(ctx));
      ctx.body = [...registryTypes];
    }) as Koa.Middleware,
    adapterInfos: (async (ctx) => {
      requireUser(principal(ctx));
      ctx.body = adapterInfos();
    }) as Koa.Middleware,
  };
}
