// Console sessions (docs/design/0005): a random id in an HTTP-only cookie, a row in the
// database keyed by the id's SHA-256, and a per-session CSRF token that every unsafe
// request made with the cookie must echo in a header. Everything lives in the database, so
// any node accepts a session and a logout on one node ends it on all.
import { createHash, randomBytes } from 'node:crypto';
import { sameSecret } from '../lib/sameSecret.js';
import { extendSession, findSession, removeSession, saveSession } from '../db/sessions.js';
import type { UserRow } from '../db/users.js';
import { authenticate, LoginError } from './identity.js';
import type { Principal } from '../lib/principal.js';
import { loginFailure, loginResource, type AuthDeps } from './resolvers.js';
import { recordAudit, recordLater } from '../audit/record.js';

/** Harbor's names, so Harbor's console habits and scripts carry over. */
export const sessionCookie = 'sid';
export const csrfHeader = 'X-Harbor-CSRF-Token';
export const defaultSessionTimeoutMs = 60 * 60_000;

/** What openSession issues: 32 random bytes, base64url. */
const sidRe = /^[A-Za-z0-9_-]{43}$/;

export type SessionPrincipal = Extract<Principal, { kind: 'user' }> & { session: string };

export function hashSessionId(sid: string): string {
  return createHash('sha256').update(sid).digest('hex');
}

function timeout(deps: AuthDeps): number {
  return deps.sessionTimeoutMs ?? defaultSessionTimeoutMs;
}

/** Checks a user's password (throttled as every login) and opens a session. Throws LoginError. */
export async function openSession(
  deps: AuthDeps,
  username: string,
  password: string,
  address: string,
): Promise<{ sid: string; csrfToken: string; principal: SessionPrincipal }> {
  let user: UserRow;
  let source: string;
  const actor = { username, actorType: 'user' as const };
  try {
    ({ user, source } = await authenticate(deps.db, deps.identity, username, password, address));
  } catch (err) {
    if (err instanceof LoginError) {
      deps.log?.warn({ username: username.slice(0, 100), address, reason: err.reason, detail: err.detail }, 'console login failed');
      recordLater(loginFailure(username, actor, err));
    }
    throw err;
  }
  return openSessionFor(deps, user, source);
}

/** Opens a session for a user whose identity was already checked (an identity provider's sign-in), with its audit row. */
export async function openSessionFor(deps: AuthDeps, user: UserRow, source: string): Promise<{ sid: string; csrfToken: string; principal: SessionPrincipal }> {
  const sid = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const idHash = hashSessionId(sid);
  await deps.db.tx(async (q) => {
    await saveSession(q, { idHash, userId: user.id, csrfToken, timeoutMs: timeout(deps) });
    await recordAudit(q, {
      operation: 'login',
      resourceType: 'user_login_logout',
      resource: loginResource(user.username, source),
      actor: { username: user.username, actorType: 'user' },
    });
  });
  return { sid, csrfToken, principal: { kind: 'user', id: user.id, username: user.username, sysadmin: user.sysadmin, session: idHash } };
}

/**
 * The user behind a session cookie, or undefined when the session is unknown or expired.
 * The expiry slides: a session used after half its timeout is renewed, so an active user
 * stays logged in at one write per half-timeout rather than one per request.
 */
export async function resumeSession(deps: AuthDeps, sid: string): Promise<{ principal: SessionPrincipal; csrfToken: string } | undefined> {
  if (!sidRe.test(sid)) return undefined;
  const idHash = hashSessionId(sid);
  const row = await findSession(deps.db, idHash);
  if (!row) return undefined;
  if (row.remaining_ms < timeout(deps) / 2) await extendSession(deps.db, idHash, timeout(deps));
  return {
    principal: { kind: 'user', id: row.user_id, username: row.username, sysadmin: row.sysadmin, session: idHash },
    csrfToken: row.csrf_token,
  };
}

export async function closeSession(deps: AuthDeps, sid: string): Promise<void> {
  if (!sidRe.test(sid)) return;
  await deps.db.tx(async (q) => {
    const username = await removeSession(q, hashSessionId(sid));
    if (username) await recordAudit(q, { operation: 'logout', resourceType: 'user_login_logout', resource: username, actor: { username, actorType: 'user' } });
  });
}

export function csrfTokenMatches(expected: string, presented: string | undefined): boolean {
  return presented !== undefined && presented !== '' && sameSecret(expected, presented);
}
