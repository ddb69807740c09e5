// Parsing of query parameters and headers shared by /v2 handlers.
import type Koa from 'koa';
import { RegistryError } from '../lib/registryErrors.js';
import type { ContentRange } from '../registry/uploads.js';
import { BodyTooLargeError, readSmallBody } from '../lib/smallBody.js';

export function routeParam(ctx: Koa.Context, name: string): string {
  return (ctx.state.params as Record<string, string>)[name];
}

export function queryString(ctx: Koa.Context, name: string): string | undefined {
  const v = ctx.query[name];
  if (Array.isArray(v)) return v[0];
  return v === undefined || v === '' ? undefined : v;
}

/** `n` for paginated lists: a non-negative integer, or absent. */
export function pageSize(ctx: Koa.Context): number | undefined {
  const n = queryString(ctx, 'n');
  if (n === undefined) return undefined;
  if (!/^\d{1,9}$/.test(n))
    throw new RegistryError('PAGINATION_NUMBER_INVALID', `n must be a non-negative integer, got ${JSON.stringify(n.slice(0, 50))}`, { n: n.slice(0, 50) });
  return Number(n);
}

/** Content-Range of a chunk: "<start>-<end>" (also tolerates a "bytes " prefix). */
export function contentRange(ctx: Koa.Context): ContentRange | undefined {
  const header = ctx.get('Content-Range');
  if (!header) return undefined;
  const m = /^(?:bytes )?(\d+)-(\d+)$/.exec(header.trim());
  if (!m) throw new RegistryError('BLOB_UPLOAD_INVALID', `malformed Content-Range ${JSON.stringify(header.slice(0, 100))}; expected <start>-<end>`);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
    throw new RegistryError('BLOB_UPLOAD_INVALID', `invalid Content-Range ${header.slice(0, 100)}: end before start`);
  }
  return { start, end };
}

/** True when the request carries a body (Content-Length > 0 or chunked transfer). */
export function hasBody(ctx: Koa.Context): boolean {
  const length = ctx.get('Content-Length');
  if (length) return Number(length) > 0;
  return Boolean(ctx.get('Transfer-Encoding'));
}

/** Media type without parameters, lower-cased. */
export function mediaTypeOf(header: string): string {
  return header.split(';')[0].trim().toLowerCase();
}

/** Reads a small body fully, refusing more than `limit` bytes with 413 SIZE_INVALID before reading it all. */
export async function readSmallRequestBody(ctx: Koa.Context, limit: number): Promise<Buffer> {
  try {
    return await readSmallBody(ctx.req, ctx.get('Content-Length'), limit);
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new RegistryError('SIZE_INVALID', err.message, undefined, { status: 413 });
    throw err;
  }
}

/** A response with headers only. (Koa would otherwise send the status text, or turn a null body into 204.) */
export function emptyBody(ctx: Koa.Context, status: number): void {
  ctx.status = status;
  ctx.body = '';
  ctx.remove('Content-Type');
}
