// Serves the admin console (web/, built by Vite into dist/web): hashed assets are cached
// for a year, everything else that is not an API path gets index.html, so the console's
// own routes survive a reload and a deep link.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Koa from 'koa';
import send from 'koa-send';

const here = path.dirname(fileURLToPath(import.meta.url));
// From server/http (sources run by tsx) and from dist/server/http alike.
export const consoleRoot = path.resolve(here, here.split(path.sep).includes('dist') ? '../../web' : '../../dist/web');

/** Paths the console never answers: the registry, the token service, the API, the session login. */
const foreign = /^\/(v2|api|service|c)(\/|$)/;

export function consoleAssets(root = consoleRoot): Koa.Middleware {
  return async (ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || foreign.test(ctx.path)) return next();
    if (!existsSync(path.join(root, 'index.html'))) {
      ctx.status = 503;
      ctx.type = 'text/plain';
      ctx.body = 'The console is not built: run `npm run build` (the registry and the API work without it).\n';
      return;
    }
    if (ctx.path.startsWith('/assets/')) {
      // Vite names assets by content hash: a changed file gets a new name.
      const served = await send(ctx, ctx.path, { root, immutable: true, maxage: 365 * 24 * 3600 * 1000 }).catch(() => undefined);
      if (served) return;
      ctx.status = 404;
      ctx.type = 'text/plain';
      ctx.body = 'no such asset\n';
      return;
    }
    const file = ctx.path !== '/' && /\.[a-z0-9]+$/i.test(ctx.path) ? ctx.path : '/index.html';
    const served = await send(ctx, file, { root }).catch(() => undefined);
    if (!served) await send(ctx, '/index.html', { root });
    // The page names the current assets, so it is revalidated every time.
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
  };
}
