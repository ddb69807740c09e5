// Authentication as a list of resolvers, first match wins: a Bearer registry token (on
// /v2 only), Basic credentials of a user, or nobody (anonymous). Credentials that are
// presented but wrong are an error, never a fall-back to anonymous.
import { authenticate, authenticateRobot, LoginError } from './identity.js';
import { robotPrefix } from '../projects/passwords.js';
import { projectOf } from '../lib/references.js';
import { isScanCredentialName, verifyScanCredential } from '../scanning/credentials.js';
import { recordLater, type AuditEvent } from '../audit/record.js';
import type { ActorType } from '../db/audit.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../log/logger.js';
import { anonymous, type Principal } from '../lib/principal.js';
import { TokenError, verifyToken, type SigningKey } from './tokens.js';
import type { TokenClaims } from '../lib/principal.js';
import type { AuthSettingsStore } from '../identity/settings.js';

export const tokenIssuer = 'berth-token-issuer';

export interface AuthDeps {
  db: Database;
  /** Loaded once per process; the newest signs, all verify. */
  keys: () => SigningKey[];
  tokenService: string;
  tokenExpirationMs: number;
  /** Console sessions end after this long without a request (default 60 minutes). */
  sessionTimeoutMs?: number;
  externalUrl?: string;
  /** Who may create projects: decides whether a push to a missing project is told so. */
  projectCreation: 'everyone' | 'adminonly';
  log?: Logger;
  /** The sign-in settings in force (local users, LDAP). */
  identity: AuthSettingsStore;
}

export class CredentialsError extends Error {
  constructor(
    readonly reason: 'invalid' | 'throttled' | 'unavailable' | 'invalid_token',
    message: string,
  ) {
    super(message);
  }
}

export function parseBasic(header: string): { username: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i < 1) return undefined;
  return { username: text.slice(0, i), password: text.slice(i + 1) };
}

// NOTE: verified tokens, by their exact text, until they expire. A token is immutable and
// self-contained, so a hit is as good as a verification on any node; it spares the RSA
// check (and jsonwebtoken's key parsing) on every request of a pull.
const verifiedTokens = new Map<string, TokenClaims>();
const maxVerifiedTokens = 10_000;

function verifyCached(deps: AuthDeps, token: string): TokenClaims {
  const hit = verifiedTokens.get(token);
  if (hit && hit.exp > Date.now() / 1000) return hit;
  const claims = verifyToken(token, deps.keys(), { issuer: tokenIssuer, service: deps.tokenService });
  if (verifiedTokens.size >= maxVerifiedTokens) verifiedTokens.clear();
  verifiedTokens.set(token, claims);
  return claims;
}

/**
 * Logins are audited: every failure, and a success either on every call (`everyLogin`, the
 * token endpoint, where a client logs in for each pull) or only when the password was
 * really checked rather than found in this process's cache (Basic on /v2 and the API,
 * where a script would otherwise add a row per request).
 */
export async function resolvePrincipal(
  deps: AuthDeps,
  authorization: string | undefined,
  address: string,
  opts: { bearer: boolean; everyLogin?: boolean },
): Promise<Principal> {
  if (!authorization) return anonymous;
  if (opts.bearer && /^Bearer\s/i.test(authorization)) {
    try {
      const claims = verifyCached(deps, authorization.replace(/^Bearer\s+/i, '').trim());
      return { kind: 'token', subject: claims.sub, claims };
    } catch (err) {
      if (err instanceof TokenError) throw new CredentialsError('invalid_token', err.message);
      throw err;
    }
  }
  const basic = parseBasic(authorization);
  if (!basic) throw new CredentialsError('invalid', 'unsupported or malformed Authorization header');
  if (isScanCredentialName(basic.username)) return scanPrincipal(deps, basic.username, basic.password, address);
  const robot = basic.username.startsWith(robotPrefix);
  const actor = { username: basic.username, actorType: robot ? ('robot' as const) : ('user' as const) };
  try {
    const { principal, fresh, source } = robot
      ? { ...(await robotPrincipal(deps, basic.username, basic.password, address)), source: 'db' }
      : await userPrincipal(deps, basic.username, basic.password, address);
    // A directory user may have typed their name in another case: the row names the account.
    const name = principal.kind === 'user' ? principal.username : basic.username;
    if (fresh || opts.everyLogin)
      recordLater({ operation: 'login', resourceType: 'user_login_logout', resource: loginResource(name, source), actor: { ...actor, username: name } });
    return principal;
  } catch (err) {
    if (err instanceof LoginError) {
      deps.log?.warn({ username: basic.username.slice(0, 100), address, reason: err.reason, detail: err.detail }, 'login failed');
      recordLater(loginFailure(basic.username, actor, err));
      throw new CredentialsError(err.reason, err.message);
    }
    throw err;
  }
}

async function scanPrincipal(deps: AuthDeps, name: string, password: string, address: string): Promise<Principal> {
  const repository = await verifyScanCredential(deps.db, name, password);
  if (!repository) {
    deps.log?.warn({ username: name.slice(0, 100), address }, 'scan credential refused');
    throw new CredentialsError('invalid', 'invalid username or password');
  }
  return { kind: 'robot', id: 0, name, grants: [{ namespace: projectOf(repository) ?? '', resource: 'repository', action: 'pull' }], repository };
}

async function robotPrincipal(deps: AuthDeps, name: string, secret: string, address: string): Promise<{ principal: Principal; fresh: boolean }> {
  const { robot, grants, fresh } = await authenticateRobot(deps.db, name, secret, address);
  return { principal: { kind: 'robot', id: robot.id, name: robot.name, grants }, fresh };
}

async function userPrincipal(
  deps: AuthDeps,
  username: string,
  password: string,
  address: string,
): Promise<{ principal: Principal; fresh: boolean; source: string }> {
  const { user, fresh, source } = await authenticate(deps.db, deps.identity, username, password, address);
  return { principal: { kind: 'user', id: user.id, username: user.username, sysadmin: user.sysadmin }, fresh, source };
}

/** The login row's resource: the user name, and the source when it is not this server's own users. */
export function loginResource(username: string, source: string): string {
  return source === 'db' ? username : `${username} (${source})`;
}

/** The audit event of a refused login: the account tried is the actor. */
export function loginFailure(username: string, actor: { username: string; actorType: ActorType }, err: LoginError): AuditEvent {
  return {
    operation: 'login',
    resourceType: 'user_login_logout',
    resource: username,
    actor,
    ok: false,
    errorCode: err.reason === 'throttled' ? 'TOO_MANY_REQUESTS' : err.reason === 'unavailable' ? 'DIRECTORY_UNAVAILABLE' : 'UNAUTHORIZED',
  };
}
