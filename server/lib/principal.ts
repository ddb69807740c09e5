// Who is making a request, as the resolvers found out. Authorization decisions read this,
// never the raw credentials.
import { DomainError } from './errors.js';

/** One `access` entry of a token, and the parsed form of a `scope` request parameter. */
export interface AccessEntry {
  type: string; // 'repository' or 'registry'
  name: string; // 'project/repo' or 'catalog'
  actions: string[];
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: AccessEntry[];
}

export type Principal =
  | { kind: 'anonymous' }
  /** A user; `session` is the id hash when the console's session cookie authenticated them. */
  | { kind: 'user'; id: number; username: string; sysadmin: boolean; session?: string }
  /**
   * A robot account: what it may do is exactly its grants (namespace '*' = every project),
   * and only in `repository` when that is set (a scan's credential, scanning/credentials.ts).
   */
  | { kind: 'robot'; id: number; name: string; grants: ReadonlyArray<{ namespace: string; resource: string; action: string }>; repository?: string }
  /** A registry bearer token: what it may do is exactly its access claim. */
  | { kind: 'token'; subject: string; claims: TokenClaims };

export const anonymous: Principal = { kind: 'anonymous' };

export function principalName(p: Principal): string {
  if (p.kind === 'user') return p.username;
  if (p.kind === 'robot') return p.name;
  return p.kind === 'token' ? p.subject || 'anonymous' : 'anonymous';
}

/** The management API's guard for actions only a logged-in user may take. */
export function requireUser(p: Principal): Extract<Principal, { kind: 'user' }> {
  if (p.kind !== 'user') throw new DomainError('UNAUTHENTICATED', 'log in as a user first');
  return p;
}

export function requireAdmin(p: Principal, why = 'only system administrators may do this'): Extract<Principal, { kind: 'user' }> {
  const user = requireUser(p);
  if (!user.sysadmin) throw new DomainError('DENIED', why);
  return user;
}
