// /v2 listing routes: tags/list, _catalog ("Listing tags", Distribution's catalog API) and
// referrers ("Listing referrers").
import type Koa from 'koa';
import type { RegistryDeps } from '../registry/deps.js';
import { listRepositories, listTags, referrers, type Page } from '../registry/listings.js';
import { isMediaType, mediaTypes } from '../registry/mediaTypes.js';
import { RegistryError } from '../lib/registryErrors.js';
import { pageSize, queryString, routeParam } from './params.js';

function linkNext(ctx: Koa.Context, path: string, page: Page, n: number | undefined): void {
  if (page.next === undefined) return;
  const q = new URLSearchParams({ n: String(n ?? page.items.length), last: page.next });
  ctx.set('Link', `<${path}?${q.toString()}>; rel="next"`);
}

// GET /v2/<name>/tags/list?n=&last=
export async function tagsList(ctx: Koa.Context, deps: RegistryDeps): Promise<void> {
  const name = routeParam(ctx, 'name');
  const n = pageSize(ctx);
  const page = await listTags(deps, name, n, queryString(ctx, 'last'));
  linkNext(ctx, `/v2/${name}/tags/list`, page, n);
  ctx.body = { name, tags: page.items };
}

// GET /v2/_catalog?n=&last=
export async function catalog(ctx: Koa.Context, deps: RegistryDeps): Promise<void> {
  const n = pageSize(ctx);
  const page = await listRepositories(deps, n, queryString(ctx, 'last'));
  linkNext(ctx, '/v2/_catalog', page, n);
  ctx.body = { repositories: page.items };
}

// GET /v2/<name>/referrers/<digest>?artifactType=
export async function referrersList(ctx: Koa.Context, deps: RegistryDeps): Promise<void> {
  const artifactType = queryString(ctx, 'artifactType');
  if (artifactType !== undefined && !isMediaType(artifactType)) {
    throw new RegistryError(
      'UNSUPPORTED',
      `artifactType must be a media type (type/subtype), got ${JSON.stringify(artifactType.slice(0, 100))}`,
      { artifactType: artifactType.slice(0, 100) },
      { status: 400 },
    );
  }
  const index = await referrers(deps, routeParam(ctx, 'name'), routeParam(ctx, 'digest'), artifactType);
  if (artifactType) ctx.set('OCI-Filters-Applied', 'artifactType');
  ctx.set('Content-Type', mediaTypes.ociIndex);
  ctx.body = JSON.stringify(index);
}
