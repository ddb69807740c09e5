// /v2 blob routes (distribution-spec: "Pulling blobs", "Deleting blobs").
import type Koa from 'koa';
import rangeParser from 'range-parser';
import type { RegistryDeps } from '../registry/deps.js';
import { blobRedirect, deleteBlob, readBlob, statBlob } from '../registry/blobs.js';
import { RegistryError } from '../lib/registryErrors.js';
import { emptyBody, routeParam } from './params.js';

// GET|HEAD /v2/<name>/blobs/<digest> — spec "Pulling blobs", with single-range support.
export async function getBlob(ctx: Koa.Context, deps: RegistryDeps): Promise<void> {
  const info = await statBlob(deps, routeParam(ctx, 'name'), routeParam(ctx, 'digest'));
  ctx.set('Docker-Content-Digest', info.digest);
  ctx.set('Accept-Ranges', 'bytes');
  ctx.set('Content-Type', 'application/octet-stream');
  ctx.set('ETag', `"${info.digest}"`);
  ctx.set('Cache-Control', 'max-age=31536000');
  let range: { start: number; end: number } | undefined;
  const header = ctx.get('Range');
  if (header) {
    const parsed = rangeParser(info.size, header, { combine: true });
    if (parsed === -1) {
      throw new RegistryError('BLOB_UNKNOWN', `range ${header.slice(0, 100)} not satisfiable for ${info.size} bytes`, undefined, {
        status: 416,
        headers: { 'Content-Range': `bytes */${info.size}` },
      });
    }
    // A malformed header or several ranges: serve the whole blob (RFC 9110 allows ignoring Range).
    if (parsed !== -2 && parsed.type === 'bytes' && parsed.length === 1) range = parsed[0];
  }
  if (range) {
    ctx.status = 206;
    ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
  } else {
    ctx.status = 200;
  }
  const length = range ? range.end - range.start + 1 : info.size;
  if (ctx.method === 'HEAD') {
    ctx.set('Content-Length', String(length));
    return;
  }
  const url = await blobRedirect(deps, info);
  if (url) {
    // The client fetches the bytes (and its Range) from the store itself, as Distribution's redirect does.
    ctx.body = '';
    ctx.status = 307;
    ctx.remove('Content-Range');
    ctx.remove('Content-Type');
    ctx.set('Location', url);
    return;
  }
  ctx.body = await readBlob(deps, info, range);
  ctx.length = length;
}

// DELETE /v2/<name>/blobs/<digest> — spec "Deleting blobs".
export async function removeBlob(ctx: Koa.Context, deps: RegistryDeps): Promise<void> {
  await deleteBlob(deps, routeParam(ctx, 'name'), routeParam(ctx, 'digest'));
  emptyBody(ctx, 202);
}
