// Reading Harbor's list parameters from a request, and writing a page with its headers.
import type Koa from 'koa';
import { pageLinks, parsePaging, parseQuery, parseSort } from './query.js';
import type { Filter, Paging, SortKey } from '../lib/query.js';
import { DomainError } from '../lib/errors.js';
import { pathFault, queryFault } from '../lib/queryText.js';

// Long enough for any Harbor filter a console or script writes, short of anything absurd.
const maxQueryValueBytes = 4096;

/** The path and every query parameter of an /api/v2.0 request are sane text, or the request is a 400. */
export const checkRequestText: Koa.Middleware = (ctx, next) => {
  const inPath = pathFault(ctx.path);
  if (inPath) throw new DomainError('INVALID', inPath);
  const fault = queryFault(ctx.querystring, { maxBytes: maxQueryValueBytes });
  if (fault) throw new DomainError('INVALID', `query parameter ${fault.name} ${fault.problem}`);
  return next();
};

function param(ctx: Koa.Context, name: string): string | undefined {
  const v = ctx.query[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * `q`, decoded once more, as Harbor does (url.QueryUnescape of the parameter): clients that
 * encode the filter twice (name%253D~x) and once (name%3D~x) both mean name=~x. A value
 * that does not decode again (a literal "%") is taken as it came.
 */
export function harborQ(ctx: Koa.Context): string | undefined {
  const q = param(ctx, 'q');
  if (q === undefined || !q.includes('%')) return q;
  try {
    return decodeURIComponent(q);
  } catch {
    return q;
  }
}

export function listParams(
  ctx: Koa.Context,
  filterKeys: readonly string[],
  sortKeys: readonly string[],
): { filters: Map<string, Filter>; sort: SortKey[]; paging: Paging } {
  return {
    filters: parseQuery(harborQ(ctx), filterKeys),
    sort: parseSort(param(ctx, 'sort'), sortKeys),
    paging: parsePaging(param(ctx, 'page'), param(ctx, 'page_size')),
  };
}

/** `q=name=~x` (or `name=x`) and the page: the only list parameters some endpoints take. */
export function nameAndPaging(ctx: Koa.Context): { name: string | undefined; paging: Paging } {
  const { filters, paging } = listParams(ctx, ['name'], []);
  const name = filters.get('name');
  if (name && name.kind !== 'fuzzy' && name.kind !== 'exact') throw new DomainError('INVALID', 'name filters by name=~x');
  return { name: name && 'value' in name ? String(name.value) : undefined, paging };
}

export function pagingOf(ctx: Koa.Context): Paging {
  return parsePaging(param(ctx, 'page'), param(ctx, 'page_size'));
}

export function queryParam(ctx: Koa.Context, name: string): string | undefined {
  return param(ctx, name);
}

/** Writes one page: the items, X-Total-Count, and Link to the neighbouring pages. */
export function respondPage(ctx: Koa.Context, items: unknown[], total: number, paging: Paging): void {
  ctx.set('X-Total-Count', String(total));
  const link = pageLinks(ctx.path, new URLSearchParams(ctx.querystring), paging, total);
  if (link) ctx.set('Link', link);
  ctx.body = items;
}
