// The session cookie's attributes, in one place: HTTP-only (scripts never see it),
// SameSite=Lax (not sent on cross-site subrequests or form posts), Path=/ (the console and
// the API share it), Secure when Berth is reached over HTTPS. No Max-Age: the browser drops
// it when it closes, and the server ends it after BERTH_SESSION_TIMEOUT idle.
import type Koa from 'koa';
import type { AuthDeps } from '../auth/resolvers.js';
import { sessionCookie } from '../auth/sessions.js';

function attributes(ctx: Koa.Context, deps: AuthDeps): string {
  // Behind a TLS-terminating proxy the socket is plain HTTP; the external URL tells the truth.
  const secure = ctx.secure || (deps.externalUrl?.startsWith('https://') ?? false);
  return `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

export function setSessionCookie(ctx: Koa.Context, deps: AuthDeps, sid: string): void {
  ctx.append('Set-Cookie', `${sessionCookie}=${sid}; ${attributes(ctx, deps)}`);
}

export function clearSessionCookie(ctx: Koa.Context, deps: AuthDeps): void {
  ctx.append('Set-Cookie', `${sessionCookie}=; Max-Age=0; ${attributes(ctx, deps)}`);
}
