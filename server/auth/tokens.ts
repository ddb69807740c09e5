// Docker registry bearer tokens (distribution docs/spec/auth/token.md and jwt.md): issue
// and verify JWTs whose `access` claim lists what the bearer may do. Verification pins the
// algorithm and our own keys: a token's header can never pick the key (no embedded jwk,
// no x5c, no alg:none), and issuer, audience, expiry and scope are all checked.
import { createHash, generateKeyPairSync, randomUUID, createPublicKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { AccessEntry, TokenClaims } from '../lib/principal.js';

export const tokenAlgorithm = 'RS256';

export interface SigningKey {
  kid: string;
  privateKeyPem: string;
  publicKeyPem: string;
}

export class TokenError extends Error {
  override name = 'TokenError';
}

/**
 * The key id Docker's libtrust derives from a public key (and Distribution prints): the
 * first 240 bits of the SHA-256 of the DER SubjectPublicKeyInfo, base32, in 12 groups of 4.
 */
export function libtrustKeyId(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  const hash = createHash('sha256').update(der).digest().subarray(0, 30);
  const b32 = base32(hash);
  return b32.match(/.{4}/g)!.join(':');
}

function base32(data: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    kid: libtrustKeyId(publicKeyPem),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem,
  };
}

// scope = resourcetype[(resourceclass)]:resourcename:action[,action...]; the name itself may
// hold a ':' (a registry host with a port), so the actions are after the last ':'.
const scopeRe = /^([a-z0-9]+)(?:\([a-z0-9]+\))?:(.+):([a-z*]+(?:,[a-z*]+)*)$/;

/** Parses one `scope` value, or undefined when it is malformed (such scopes are ignored, as Distribution does). */
export function parseScope(scope: string): AccessEntry | undefined {
  const m = scopeRe.exec(scope.trim());
  if (!m) return undefined;
  return { type: m[1], name: m[2], actions: [...new Set(m[3].split(','))] };
}

export function formatScope(entry: AccessEntry): string {
  return `${entry.type}:${entry.name}:${entry.actions.join(',')}`;
}

export interface IssueOptions {
  issuer: string;
  service: string; // the audience
  subject: string; // user or robot name; '' for anonymous
  access: AccessEntry[];
  ttlSeconds: number;
  now?: number; // seconds since the epoch, for tests
}

export interface IssuedToken {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
}

export function issueToken(key: SigningKey, opts: IssueOptions): IssuedToken {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const claims: TokenClaims = {
    iss: opts.issuer,
    sub: opts.subject,
    aud: opts.service,
    iat: now,
    // A little slack for clocks of other nodes that are slightly behind.
    nbf: now - 5,
    exp: now + opts.ttlSeconds,
    jti: randomUUID(),
    access: opts.access,
  };
  const token = jwt.sign(claims, key.privateKeyPem, { algorithm: tokenAlgorithm, keyid: key.kid, noTimestamp: true });
  return { token, access_token: token, expires_in: opts.ttlSeconds, issued_at: new Date(now * 1000).toISOString() };
}

export interface VerifyOptions {
  issuer: string;
  service: string;
  /** Seconds of clock skew tolerated on exp and nbf. */
  leewaySeconds?: number;
  now?: number;
}

/**
 * Verifies a token against our own public keys (several during a key rotation). The key is
 * chosen by our `kid`, never by anything else in the header; unknown kid means refusal.
 */
export function verifyToken(token: string, keys: ReadonlyArray<Pick<SigningKey, 'kid' | 'publicKeyPem'>>, opts: VerifyOptions): TokenClaims {
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded.payload === 'string') throw new TokenError('malformed token');
  const header = decoded.header as jwt.JwtHeader & { jwk?: unknown; x5c?: unknown };
  if (header.alg !== tokenAlgorithm) throw new TokenError(`token algorithm ${String(header.alg)} is not accepted`);
  if (header.jwk !== undefined || header.x5c !== undefined || header.jku !== undefined) {
    throw new TokenError('tokens carrying their own key are not accepted');
  }
  const key = keys.find((k) => k.kid === header.kid);
  if (!key) throw new TokenError('token signed by an unknown key');
  let payload: jwt.JwtPayload;
  try {
    payload = jwt.verify(token, key.publicKeyPem, {
      algorithms: [tokenAlgorithm],
      issuer: opts.issuer,
      audience: opts.service,
      clockTolerance: opts.leewaySeconds ?? 30,
      clockTimestamp: opts.now,
    }) as jwt.JwtPayload;
  } catch (err) {
    throw new TokenError(`token rejected: ${(err as Error).message}`);
  }
  if (typeof payload.exp !== 'number') throw new TokenError('token has no expiry');
  if (typeof payload.sub !== 'string') throw new TokenError('token has no subject');
  const access = Array.isArray(payload.access) ? (payload.access as unknown[]) : [];
  const entries: AccessEntry[] = [];
  for (const a of access) {
    const e = a as Partial<AccessEntry>;
    if (typeof e.type === 'string' && typeof e.name === 'string' && Array.isArray(e.actions) && e.actions.every((x) => typeof x === 'string')) {
      entries.push({ type: e.type, name: e.name, actions: e.actions });
    }
  }
  return { ...(payload as TokenClaims), access: entries };
}

/** Whether verified claims allow `action` on the resource (`*` in a token's actions means all). */
export function tokenAllows(claims: Pick<TokenClaims, 'access'>, type: string, name: string, action: string): boolean {
  return claims.access.some((a) => a.type === type && a.name === name && (a.actions.includes(action) || a.actions.includes('*')));
}
