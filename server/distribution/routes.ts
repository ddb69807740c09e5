// Every /v2 route, read top to bottom; the first whose pattern matches the path decides.
// Repository names contain slashes, so each pattern anchors the suffix after the name.
// A path that matches but with another method gets 405 UNSUPPORTED.
import compose from 'koa-compose';
import type Koa from 'koa';
import type { RegistryDeps } from '../registry/deps.js';
import { RegistryError, type ErrorCode } from '../lib/registryErrors.js';
import { queryFault } from '../lib/queryText.js';
import type { AuthDeps } from '../auth/resolvers.js';
import { authorize, mayAccess, type Need, type RepositoryAction } from '../auth/v2authorize.js';
import { getBlob, removeBlob } from './blobs.js';
import { catalog, referrersList, tagsList } from './listings.js';
import { deleteManifestRoute, getManifestRoute, putManifestRoute } from './manifests.js';
import { deleteUpload, getUpload, patchUpload, postUpload, putUpload } from './uploads.js';

type Handler = (ctx: Koa.Context, deps: RegistryDeps) => Promise<void>;

/** The query parameters a route reads, each with the code a value that is not sane text gets. */
type QueryParams = Partial<Record<string, ErrorCode>>;

/** A method of a route: what the caller needs (checked before any body is read), and the handler. */
interface Endpoint {
  need: Need;
  handler: Handler;
  query?: QueryParams;
}

interface Route {
  pattern: RegExp;
  methods: Partial<Record<string, Endpoint>>;
}

const pull = (handler: Handler, query?: QueryParams): Endpoint => ({ need: { kind: 'repository', actions: ['pull'] }, handler, query });
const push = (handler: Handler, query?: QueryParams): Endpoint => ({ need: { kind: 'repository', actions: ['pull', 'push'] }, handler, query });
const remove = (handler: Handler): Endpoint => ({ need: { kind: 'repository', actions: ['delete'] }, handler });

// The longest value any /v2 parameter needs is a repository name (255) or a media type.
const maxQueryValueBytes = 1024;
// Distribution's UNSUPPORTED also covers "an invalid set of parameters"; with 400 it is the
// code for a parameter no more specific code describes.
const artifactTypeInvalid: ErrorCode = 'UNSUPPORTED';

// GET /v2/ — spec "Determining support": 200 means this is a v2 registry.
const base: Handler = async (ctx) => {
  ctx.status = 200;
  ctx.set('Content-Type', 'application/json');
  ctx.body = '{}';
};

export const routes: Route[] = [
  { pattern: /^\/v2\/?$/, methods: { GET: { need: { kind: 'login' }, handler: base }, HEAD: { need: { kind: 'login' }, handler: base } } },
  {
    pattern: /^\/v2\/_catalog$/,
    methods: { GET: { need: { kind: 'catalog' }, handler: catalog, query: { n: 'PAGINATION_NUMBER_INVALID', last: 'NAME_INVALID' } } },
  },
  { pattern: /^\/v2\/(?<name>.+)\/tags\/list$/, methods: { GET: pull(tagsList, { n: 'PAGINATION_NUMBER_INVALID', last: 'TAG_INVALID' }) } },
  {
    pattern: /^\/v2\/(?<name>.+)\/manifests\/(?<reference>[^/]+)$/,
    methods: { GET: pull(getManifestRoute), HEAD: pull(getManifestRoute), PUT: push(putManifestRoute), DELETE: remove(deleteManifestRoute) },
  },
  {
    pattern: /^\/v2\/(?<name>.+)\/blobs\/uploads\/?$/,
    methods: { POST: push(postUpload, { digest: 'DIGEST_INVALID', mount: 'DIGEST_INVALID', from: 'NAME_INVALID' }) },
  },
  {
    // An upload session's status and cancellation belong to whoever may push there.
    pattern: /^\/v2\/(?<name>.+)\/blobs\/uploads\/(?<uuid>[^/]+)$/,
    methods: { GET: push(getUpload), PATCH: push(patchUpload), PUT: push(putUpload, { digest: 'DIGEST_INVALID' }), DELETE: push(deleteUpload) },
  },
  { pattern: /^\/v2\/(?<name>.+)\/blobs\/(?<digest>[^/]+)$/, methods: { GET: pull(getBlob), HEAD: pull(getBlob), DELETE: remove(removeBlob) } },
  { pattern: /^\/v2\/(?<name>.+)\/referrers\/(?<digest>[^/]+)$/, methods: { GET: pull(referrersList, { artifactType: artifactTypeInvalid }) } },
];

// After authorization (a caller who may not be here learns nothing about its parameters)
// and before the handler reads any of them.
function checkQuery(params: QueryParams): Koa.Middleware {
  const only = new Set(Object.keys(params));
  return (ctx, next) => {
    const fault = queryFault(ctx.querystring, { only, maxBytes: maxQueryValueBytes });
    if (fault)
      throw new RegistryError(
        params[fault.name] ?? 'UNSUPPORTED',
        `query parameter ${fault.name} ${fault.problem}`,
        { parameter: fault.name },
        { status: 400 },
      );
    return next();
  };
}

/** The /v2 dispatcher: matches a route, runs its middleware, then its handler. */
export function distributionRouter(deps: RegistryDeps, auth: AuthDeps): Koa.Middleware {
  const compiled = routes.map((r) => ({
    ...r,
    chains: Object.fromEntries(
      Object.entries(r.methods).map(([method, endpoint]) => [
        method,
        compose<Koa.Context>([
          authorize(auth, endpoint!.need),
          // Routes that read no parameter (manifest and blob GETs, the hot path) skip the check.
          ...(endpoint!.query ? [checkQuery(endpoint!.query)] : []),
          (ctx: Koa.Context) => {
            // Handlers that touch a second repository (a mount's source) ask through this.
            ctx.state.mayAccess = (repository: string, action: RepositoryAction) => mayAccess(auth, ctx, repository, action);
            return endpoint!.handler(ctx, deps);
          },
        ]),
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
