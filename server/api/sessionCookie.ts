// The session cookie's attributes, in one place: HTTP-only (scripts never see it),
// SameSite=Lax (not sent on cross-site subrequests or form posts), Path=/ (the console and
// the API share it), Secure when Berth is reached over HTTPS. No Max-Age: the browser drops
// it when it closes, and the server ends it after BERTH_SESSION_TIMEOUT idle.
import type Koa from 'koa';
import type { AuthDeps } from '../auth/resolvers.js';
import { sessionCookie } from '../auth/sessions.js';

/** The attributes of every cookie Berth sets, for `path` (the OIDC sign-in's are for /c/oidc only). */
export function cookieAttributes(ctx: Koa.Context, deps: AuthDeps, path = '/'): string {
  // Behind a TLS-terminating proxy the socket is plain HTTP; the external URL tells the truth.
  const secure = ctx.secure || (deps.externalUrl?.startsWith('https://') ?? false);
  return `Path=${path}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

export function setSessionCookie(ctx: Koa.Context, deps: AuthDeps, sid: string): void {
  ctx.append('Set-Cookie', `${sessionCookie}=${sid}; ${cookieAttributes(ctx, deps)}`);
}

export function clearSessionCookie(ctx: Koa.Context, deps: AuthDeps): void {
  ctx.append('Set-Cookie', `${sessionCookie}=; Max-Age=0; ${cookieAttributes(ctx, deps)}`);
}
