// The Docker token endpoint (distribution docs/spec/auth/token.md), outside /v2 and /api:
// GET /service/token?service=&scope=…  with Basic credentials or none, and
// POST /service/token with grant_type=password (what containerd tries first).
import type Koa from 'koa';
import type { Principal } from '../lib/principal.js';
import { CredentialsError, resolvePrincipal, type AuthDeps } from './resolvers.js';
import { issueRegistryToken } from './tokenService.js';
import { parseScope } from './tokens.js';
import type { AccessEntry } from '../lib/principal.js';
import { queryFault } from '../lib/queryText.js';
import { BodyTooLargeError, readSmallBody } from '../lib/smallBody.js';

// A request for many repositories repeats scope; nothing else is ever repeated.
const tokenParams = { repeatable: new Set(['scope']), maxBytes: 4096 };

function fail(ctx: Koa.Context, status: number, code: string, message: string): void {
  ctx.status = status;
  if (status === 401) ctx.set('WWW-Authenticate', 'Basic realm="berth"');
  ctx.body = { errors: [{ code, message }] };
}

function scopesOf(values: string[]): AccessEntry[] {
  return values
    .flatMap((v) => v.split(' '))
    .map(parseScope)
    .filter((s): s is AccessEntry => s !== undefined);
}

async function respond(deps: AuthDeps, ctx: Koa.Context, service: string | undefined, authorization: string | undefined, scopes: AccessEntry[]): Promise<void> {
  if (service !== undefined && service !== deps.tokenService) return fail(ctx, 400, 'BAD_REQUEST', `unknown service ${JSON.stringify(service.slice(0, 100))}`);
  let principal: Principal;
  try {
    principal = await resolvePrincipal(deps, authorization, ctx.state.clientAddress as string, { bearer: false, everyLogin: true });
  } catch (err) {
    if (!(err instanceof CredentialsError)) throw err;
    return err.reason === 'throttled' ? fail(ctx, 429, 'TOO_MANY_REQUESTS', err.message) : fail(ctx, 401, 'UNAUTHORIZED', err.message);
  }
  // Anonymous and asking for nothing: nothing to grant (Harbor answers the same).
  if (principal.kind === 'anonymous' && !scopes.length) return fail(ctx, 401, 'UNAUTHORIZED', 'credentials required');
  ctx.set('Cache-Control', 'no-store');
  ctx.body = await issueRegistryToken(deps, principal, scopes);
}

export function tokenRoute(deps: AuthDeps): Koa.Middleware {
  return async (ctx) => {
    if (ctx.method === 'GET') {
      const fault = queryFault(ctx.querystring, tokenParams);
      if (fault) return fail(ctx, 400, 'BAD_REQUEST', `query parameter ${fault.name} ${fault.problem}`);
      const scope = ctx.query.scope;
      const service = typeof ctx.query.service === 'string' ? ctx.query.service : undefined;
      return respond(deps, ctx, service, ctx.get('Authorization') || undefined, scopesOf(scope === undefined ? [] : Array.isArray(scope) ? scope : [scope]));
    }
    if (ctx.method === 'POST') {
      // The form is checked on its bytes (latin1 keeps each one), as a query string is.
      let raw: string;
      try {
        raw = (await readSmallBody(ctx.req, ctx.get('Content-Length'), 64 * 1024)).toString('latin1');
      } catch (err) {
        if (err instanceof BodyTooLargeError) return fail(ctx, 413, 'BAD_REQUEST', `the form ${err.message}`);
        throw err;
      }
      const fault = queryFault(raw, tokenParams);
      if (fault) return fail(ctx, 400, 'BAD_REQUEST', `form field ${fault.name} ${fault.problem}`);
      const form = new URLSearchParams(Buffer.from(raw, 'latin1').toString('utf8'));
      const grant = form.get('grant_type');
      if (grant !== 'password') {
        ctx.status = 400;
        ctx.body = { error: 'unsupported_grant_type' };
        return;
      }
      const username = form.get('username') ?? '';
      const password = form.get('password') ?? '';
      const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
      return respond(deps, ctx, form.get('service') ?? undefined, authorization, scopesOf(form.getAll('scope')));
    }
    ctx.set('Allow', 'GET, POST');
    fail(ctx, 405, 'METHOD_NOT_ALLOWED', 'use GET or POST');
  };
}
