// Who is calling the management API: Basic credentials of a user or robot, the console's
// session cookie, or anonymous. An Authorization header wins over the cookie, so scripts
// never trip over a browser's session and its CSRF rule.
import type Koa from 'koa';
import { CredentialsError, resolvePrincipal, type AuthDeps } from '../auth/resolvers.js';
import type { Principal } from '../lib/principal.js';
import { csrfHeader, csrfTokenMatches, resumeSession, sessionCookie } from '../auth/sessions.js';
import { clearSessionCookie } from './sessionCookie.js';
import { DomainError } from '../lib/errors.js';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

export function apiPrincipal(deps: AuthDeps): Koa.Middleware {
  return async (ctx, next) => {
    const authorization = ctx.get('Authorization');
    const sid = authorization ? undefined : ctx.cookies.get(sessionCookie);
    if (sid) {
      const session = await resumeSession(deps, sid);
      if (session) {
        // The console reads the token from any response; it never changes within a session.
        ctx.set(csrfHeader, session.csrfToken);
        if (!safeMethods.has(ctx.method) && !csrfTokenMatches(session.csrfToken, ctx.get(csrfHeader) || undefined)) {
          throw new DomainError(
            'DENIED',
            `CSRF token missing or invalid: a request made with the session cookie must send the ${csrfHeader} header the server returned`,
          );
        }
        ctx.state.principal = session.principal;
        return next();
      }
      // An ended or unknown session: forget the cookie and go on as anonymous, as Harbor does.
      clearSessionCookie(ctx, deps);
    }
    try {
      ctx.state.principal = await resolvePrincipal(deps, authorization || undefined, ctx.state.clientAddress as string, { bearer: false });
    } catch (err) {
      if (!(err instanceof CredentialsError)) throw err;
      throw new DomainError(err.reason === 'throttled' ? 'TOO_MANY' : 'UNAUTHENTICATED', err.message);
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
    if (size > 1024 * 1024) throw new DomainError('INVALID', 'request body over 1 MiB');
    chunks.push(c);
  }
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new DomainError('INVALID', `the body must be a JSON object: ${(err as Error).message}`);
  }
}
