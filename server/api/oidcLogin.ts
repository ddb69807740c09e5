// The console's sign-in through the identity provider, at Harbor's paths: GET
// /c/oidc/login sends the browser to the provider, GET /c/oidc/callback is where it comes
// back, POST /c/oidc/onboard takes the user name a new user chose. The state also goes
// into a cookie for /c/oidc, so a callback link made for another browser is refused
// (login CSRF).
import type Router from '@koa/router';
import type Koa from 'koa';
import type { AuthDeps } from '../auth/resolvers.js';
import { csrfHeader } from '../auth/sessions.js';
import { externalBase } from '../auth/v2authorize.js';
import { beginOidcSignIn, finishOidcOnboarding, finishOidcSignIn, type SignInResult } from '../auth/oidcSignIn.js';
import { IdentityConflictError } from '../identity/externalUsers.js';
import { ProviderError } from '../identity/oidc.js';
import { DomainError } from '../lib/errors.js';
import { jsonBody } from './auth.js';
import { respondDone } from './respond.js';
import { cookieAttributes, setSessionCookie } from './sessionCookie.js';

const stateCookie = 'berth_oidc_state';
const pendingCookie = 'berth_oidc_pending';

function cookie(ctx: Koa.Context, deps: AuthDeps, name: string, value: string, maxAge: number): void {
  ctx.append('Set-Cookie', `${name}=${value}; Max-Age=${maxAge}; ${cookieAttributes(ctx, deps, '/c/oidc')}`);
}

/** Back to the console's sign-in page, which shows why. */
function failed(ctx: Koa.Context, message: string): void {
  ctx.redirect(`/sign-in?error=${encodeURIComponent(message.slice(0, 500))}`);
}

function signedIn(ctx: Koa.Context, deps: AuthDeps, result: SignInResult): void {
  if ('session' in result) {
    setSessionCookie(ctx, deps, result.session.sid);
    ctx.set(csrfHeader, result.session.csrfToken);
    cookie(ctx, deps, pendingCookie, '', 0);
    return;
  }
  cookie(ctx, deps, pendingCookie, result.pending, 600);
}

export function registerOidcLogin(router: Router, deps: AuthDeps): void {
  // GET /c/oidc/login: 302 to the provider.
  router.get('/oidc/login', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      const { url, state } = await beginOidcSignIn(deps, `${externalBase(deps, ctx)}/c/oidc/callback`);
      cookie(ctx, deps, stateCookie, state, 600);
      ctx.redirect(url);
    } catch (err) {
      if (err instanceof ProviderError) {
        deps.log?.warn({ detail: err.message }, 'oidc sign-in could not start');
        return failed(ctx, 'the identity provider cannot be reached; try again later');
      }
      if (err instanceof DomainError) return failed(ctx, err.message);
      throw err;
    }
  });
  // GET /c/oidc/callback?code=&state=: a session (302 to the console), or the onboarding page for a new user.
  router.get('/oidc/callback', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const expected = ctx.cookies.get(stateCookie);
    cookie(ctx, deps, stateCookie, '', 0);
    if (typeof ctx.query.error === 'string') {
      return failed(ctx, `the identity provider refused the sign-in: ${String(ctx.query.error_description ?? ctx.query.error)}`);
    }
    if (!state || state !== expected) return failed(ctx, 'this sign-in was not started in this browser; sign in again');
    try {
      const result = await finishOidcSignIn(deps, new URL(`${externalBase(deps, ctx)}${ctx.url}`), state);
      signedIn(ctx, deps, result);
      ctx.redirect('session' in result ? '/projects' : `/oidc-onboard?name=${encodeURIComponent(result.suggestion)}`);
    } catch (err) {
      if (err instanceof ProviderError) {
        deps.log?.warn({ detail: err.message }, 'oidc sign-in refused');
        return failed(ctx, err.message);
      }
      if (err instanceof IdentityConflictError || err instanceof DomainError) return failed(ctx, err.message);
      throw err;
    }
  });
  // POST /c/oidc/onboard {username}: a new user's chosen name; 200 with the session cookie.
  router.post('/oidc/onboard', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const pending = ctx.cookies.get(pendingCookie);
    if (!pending) throw new DomainError('UNAUTHENTICATED', 'this sign-in expired; sign in again');
    const { username } = await jsonBody(ctx);
    if (typeof username !== 'string' || !username) throw new DomainError('INVALID', 'username is required');
    signedIn(ctx, deps, await finishOidcOnboarding(deps, pending, username));
    respondDone(ctx);
  });
}
