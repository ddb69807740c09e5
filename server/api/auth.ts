// Who is calling the management API: Basic credentials of a user, or anonymous. (The
// console's session cookie joins this list with the console.)
import type Koa from 'koa';
import { CredentialsError, resolvePrincipal, type AuthDeps } from '../auth/resolvers.js';
import type { Principal } from '../auth/principal.js';
import { ApiError } from './errors.js';

export function apiPrincipal(deps: AuthDeps): Koa.Middleware {
  return async (ctx, next) => {
    try {
      ctx.state.principal = await resolvePrincipal(deps, ctx.get('Authorization') || undefined, ctx.socket.remoteAddress ?? '', { bearer: false });
    } catch (err) {
      if (!(err instanceof CredentialsError)) throw err;
      throw new ApiError(err.reason === 'throttled' ? 'TOO_MANY_REQUESTS' : 'UNAUTHORIZED', err.message);
    }
    return next();
  };
}

export function principal(ctx: Koa.Context): Principal {
  return ctx.state.principal as Principal;
}

/** Harbor addresses a project by id, or by name when X-Is-Resource-Name is true. */
export function byName(ctx: Koa.Context): boolean {
  return ctx.get('X-Is-Resource-Name').toLowerCase() === 'true';
}

export async function jsonBody(ctx: Koa.Context): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of ctx.req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 1024 * 1024) throw new ApiError('BAD_REQUEST', 'request body over 1 MiB');
    chunks.push(c);
  }
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new ApiError('BAD_REQUEST', `the body must be a JSON object: ${(err as Error).message}`);
  }
}
