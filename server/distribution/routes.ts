// Every /v2 route, read top to bottom; the first whose pattern matches the path decides.
// Repository names contain slashes, so each pattern anchors the suffix after the name.
// A path that matches but with another method gets 405 UNSUPPORTED.
import compose from 'koa-compose';
import type Koa from 'koa';
import type { RegistryDeps } from '../registry/deps.js';
import { RegistryError } from '../registry/errors.js';
import { getBlob, removeBlob } from './blobs.js';
import { catalog, referrersList, tagsList } from './listings.js';
import { deleteManifestRoute, getManifestRoute, putManifestRoute } from './manifests.js';
import { deleteUpload, getUpload, patchUpload, postUpload, putUpload } from './uploads.js';

type Handler = (ctx: Koa.Context, deps: RegistryDeps) => Promise<void>;

interface Route {
  pattern: RegExp;
  methods: Partial<Record<string, Handler>>;
  /** Per-route middleware (authorization, quotas) runs before the handler, before any body is read. */
  use?: Koa.Middleware[];
}

// GET /v2/ — spec "Determining support": 200 means this is a v2 registry.
const base: Handler = async (ctx) => {
  ctx.status = 200;
  ctx.set('Content-Type', 'application/json');
  ctx.body = '{}';
};

export const routes: Route[] = [
  { pattern: /^\/v2\/?$/, methods: { GET: base, HEAD: base } },
  { pattern: /^\/v2\/_catalog$/, methods: { GET: catalog } },
  { pattern: /^\/v2\/(?<name>.+)\/tags\/list$/, methods: { GET: tagsList } },
  {
    pattern: /^\/v2\/(?<name>.+)\/manifests\/(?<reference>[^/]+)$/,
    methods: { GET: getManifestRoute, HEAD: getManifestRoute, PUT: putManifestRoute, DELETE: deleteManifestRoute },
  },
  { pattern: /^\/v2\/(?<name>.+)\/blobs\/uploads\/?$/, methods: { POST: postUpload } },
  {
    pattern: /^\/v2\/(?<name>.+)\/blobs\/uploads\/(?<uuid>[^/]+)$/,
    methods: { GET: getUpload, PATCH: patchUpload, PUT: putUpload, DELETE: deleteUpload },
  },
  { pattern: /^\/v2\/(?<name>.+)\/blobs\/(?<digest>[^/]+)$/, methods: { GET: getBlob, HEAD: getBlob, DELETE: removeBlob } },
  { pattern: /^\/v2\/(?<name>.+)\/referrers\/(?<digest>[^/]+)$/, methods: { GET: referrersList } },
];

/** The /v2 dispatcher: matches a route, runs its middleware, then its handler. */
export function distributionRouter(deps: RegistryDeps): Koa.Middleware {
  const compiled = routes.map((r) => ({
    ...r,
    chains: Object.fromEntries(
      Object.entries(r.methods).map(([method, handler]) => [
        method,
        compose<Koa.Context>([...(r.use ?? []), (ctx: Koa.Context) => handler!(ctx, deps)]),
      ]),
    ),
  }));
  return async (ctx) => {
    for (const route of compiled) {
      const m = route.pattern.exec(ctx.path);
      if (!m) continue;
      const chain = route.chains[ctx.method];
      if (!chain) {
        ctx.set('Allow', Object.keys(route.methods).join(', '));
        throw new RegistryError('UNSUPPORTED', `${ctx.method} is not supported on ${ctx.path.slice(0, 300)}`);
      }
      ctx.state.params = m.groups ?? {};
      return chain(ctx);
    }
    throw new RegistryError('NAME_UNKNOWN', `no /v2 route matches ${ctx.path.slice(0, 300)}`, undefined, { status: 404 });
  };
}
