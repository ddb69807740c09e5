// The two empty answers Harbor's API gives after a change: 200 with no body, and 201
// with the new resource's Location (and no body).
import type Koa from 'koa';

export function respondDone(ctx: Koa.Context): void {
  ctx.status = 200;
  ctx.body = '';
}

export function respondCreated(ctx: Koa.Context, location?: string): void {
  ctx.status = 201;
  if (location) ctx.set('Location', location);
  ctx.body = '';
}
