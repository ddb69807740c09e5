// Authentication as a list of resolvers, first match wins: a Bearer registry token (on
// /v2 only), Basic credentials of a user, or nobody (anonymous). Credentials that are
// presented but wrong are an error, never a fall-back to anonymous.
import { authenticate, authenticateRobot, robotPrefix } from '../projects/identity.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../log/logger.js';
import { anonymous, type Principal } from './principal.js';
import { TokenError, verifyToken, type SigningKey, type TokenClaims } from './tokens.js';

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
  projectCreation: 'everyone' | 'adminonly';
  /** Storage limit of new projects in bytes; -1 unlimited. */
  storagePerProject?: number;
  log?: Logger;
}

export class CredentialsError extends Error {
  constructor(
    readonly reason: 'invalid' | 'throttled' | 'invalid_token',
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

export async function resolvePrincipal(deps: AuthDeps, authorization: string | undefined, address: string, opts: { bearer: boolean }): Promise<Principal> {
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
  try {
    if (basic.username.startsWith(robotPrefix)) {
      const { robot, grants } = await authenticateRobot(deps.db, basic.username, basic.password, address);
      return { kind: 'robot', id: robot.id, name: robot.name, grants };
    }
    const user = await authenticate(deps.db, basic.username, basic.password, address);
    return { kind: 'user', id: user.id, username: user.username, sysadmin: user.sysadmin };
  } catch (err) {
    const reason = (err as { reason?: string }).reason;
    if (reason === 'invalid' || reason === 'throttled') {
      // The audit log (next issue) records these too; the log line is for operators now.
      deps.log?.warn({ username: basic.username.slice(0, 100), address, reason }, 'login failed');
      throw new CredentialsError(reason, (err as Error).message);
    }
    throw err;
  }
}
