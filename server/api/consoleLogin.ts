// The console's login and logout, at Harbor's paths: POST /c/login with `principal` and
// `password` (a form, as Harbor's console sends, or JSON), GET /c/log_out.
import type Koa from 'koa';
import type Router from '@koa/router';
import { LoginError } from '../auth/identity.js';
import type { AuthDeps } from '../auth/resolvers.js';
import { closeSession, csrfHeader, openSession, sessionCookie } from '../auth/sessions.js';
import { DomainError } from '../lib/errors.js';
import { clearSessionCookie, setSessionCookie } from './sessionCookie.js';
import { respondDone } from './respond.js';

const maxBody = 64 * 1024;

async function readCredentials(ctx: Koa.Context): Promise<{ principal: string; password: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of ctx.req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > maxBody) throw new DomainError('INVALID', 'login body over 64 KiB');
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const type = ctx.get('Content-Type').split(';')[0].trim().toLowerCase();
  let fields: Record<string, unknown>;
  if (type === 'application/json') {
    try {
      fields = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new DomainError('INVALID', 'the login body is not valid JSON');
    }
  } else if (type === 'application/x-www-form-urlencoded' || type === '') {
    fields = Object.fromEntries(new URLSearchParams(text));
  } else {
    throw new DomainError('INVALID', 'send principal and password as application/x-www-form-urlencoded or JSON');
  }
  const { principal, password } = fields ?? {};
  if (typeof principal !== 'string' || !principal || typeof password !== 'string' || !password) {
    throw new DomainError('INVALID', 'principal (the user name) and password are required');
  }
  return { principal, password };
}

/**
 * Refuses logins posted from another site (login CSRF: a forged form would sign the
 * victim's browser into the attacker's account). Browsers always send Origin on POST.
 */
function checkSameOrigin(ctx: Koa.Context, deps: AuthDeps): void {
  if (ctx.get('Sec-Fetch-Site') === 'cross-site') throw new DomainError('DENIED', 'cross-site login refused');
  const origin = ctx.get('Origin');
  if (!origin) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new DomainError('DENIED', 'cross-site login refused');
  }
  const own = [ctx.host, deps.externalUrl ? new URL(deps.externalUrl).host : undefined];
  if (!own.includes(host)) throw new DomainError('DENIED', 'cross-site login refused');
}

export function registerConsoleLogin(router: Router, deps: AuthDeps): void {
  // POST /c/login: 200 with the session cookie and the CSRF token header; 401 on bad credentials.
  router.post('/login', async (ctx) => {
    checkSameOrigin(ctx, deps);
    const { principal, password } = await readCredentials(ctx);
    try {
      const session = await openSession(deps, principal, password, ctx.state.clientAddress as string);
      setSessionCookie(ctx, deps, session.sid);
      ctx.set(csrfHeader, session.csrfToken);
      ctx.set('Cache-Control', 'no-store');
      respondDone(ctx);
    } catch (err) {
      if (!(err instanceof LoginError)) throw err;
      throw new DomainError(err.reason === 'throttled' ? 'TOO_MANY' : 'UNAUTHENTICATED', err.message);
    }
  });
  // GET /c/log_out: ends the session everywhere and clears the cookie; 200 even without one.
  router.get('/log_out', async (ctx) => {
    const sid = ctx.cookies.get(sessionCookie);
    if (sid) await closeSession(deps, sid);
    clearSessionCookie(ctx, deps);
    ctx.set('Cache-Control', 'no-store');
    respondDone(ctx);
  });
}
