// /v2 upload routes (distribution-spec: "Pushing blobs" — monolithic, chunked, mount).
import type Koa from 'koa';
import type { RegistryDeps } from '../registry/deps.js';
import {
  appendChunk,
  cancelUpload,
  finishUpload,
  mountBlob,
  startUpload,
  uploadHeaders,
  uploadMonolithic,
  uploadStatus,
  type UploadState,
} from '../registry/uploads.js';
import { contentRange, emptyBody, hasBody, queryString, routeParam } from './params.js';

function accepted(ctx: Koa.Context, state: UploadState, status: number): void {
  emptyBody(ctx, status);
  ctx.set(uploadHeaders(state));
}

function created(ctx: Koa.Context, name: string, digest: string): void {
  emptyBody(ctx, 201);
  ctx.set('Location', `/v2/${name}/blobs/${digest}`);
  ctx.set('Docker-Content-Digest', digest);
}

// POST /v2/<name>/blobs/uploads/[?digest=|?mount=&from=] — spec "Pushing a blob monolithically",
// "Obtaining a session ID", "Mounting a blob from another repository".
export async function postUpload(ctx: Koa.Context, deps: RegistryDeps): Promise<void> {
  const name = routeParam(ctx, 'name');
  const mount = queryString(ctx, 'mount');
  if (mount) {
    const from = queryString(ctx, 'from') ?? '';
    // A source the caller may not pull from is treated like one without the blob: a
    // normal upload starts, and nothing tells whether the blob was there.
    const mayPull = await (ctx.state.mayAccess as (r: string, a: 'pull') => Promise<boolean>)(from, 'pull').catch(() => false);
    const mounted = mayPull ? await mountBlob(deps, name, mount, from) : undefined;
    if (mounted) return created(ctx, name, mounted.digest);
  }
  const digest = queryString(ctx, 'digest');
  if (digest && !mount) {
    const blob = await uploadMonolithic(deps, name, digest, hasBody(ctx) ? ctx.req : undefined);
    return created(ctx, name, blob.digest);
  }
  accepted(ctx, await startUpload(deps, name), 202);
}

// GET /v2/<name>/blobs/uploads/<uuid> — spec "Getting an upload session's status".
export async function getUpload(ctx: Koa.Context, deps: RegistryDeps): Promise<void> {
  accepted(ctx, await uploadStatus(deps, routeParam(ctx, 'name'), routeParam(ctx, 'uuid')), 204);
}

// PATCH /v2/<name>/blobs/uploads/<uuid> — spec "Pushing a blob in chunks" (also streamed, without Content-Range).
export async function patchUpload(ctx: Koa.Context, deps: RegistryDeps): Promise<void> {
  const range = contentRange(ctx);
  const state = await appendChunk(deps, routeParam(ctx, 'name'), routeParam(ctx, 'uuid'), ctx.req, range);
  accepted(ctx, state, 202);
}

// PUT /v2/<name>/blobs/uploads/<uuid>?digest= — spec "Closing a chunked upload" (optional final chunk).
export async function putUpload(ctx: Koa.Context, deps: RegistryDeps): Promise<void> {
  const name = routeParam(ctx, 'name');
  const digest = queryString(ctx, 'digest') ?? '';
  const range = contentRange(ctx);
  const blob = await finishUpload(deps, name, routeParam(ctx, 'uuid'), digest, hasBody(ctx) ? ctx.req : undefined, range);
  created(ctx, name, blob.digest);
}

// DELETE /v2/<name>/blobs/uploads/<uuid> — cancel an upload session.
export async function deleteUpload(ctx: Koa.Context, deps: RegistryDeps): Promise<void> {
  await cancelUpload(deps, routeParam(ctx, 'name'), routeParam(ctx, 'uuid'));
  emptyBody(ctx, 204);
}
