// Who is making a request, as the resolvers found out. Authorization decisions read this,
// never the raw credentials.
import type { TokenClaims } from './tokens.js';

export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'user'; id: number; username: string; sysadmin: boolean }
  /** A registry bearer token: what it may do is exactly its access claim. */
  | { kind: 'token'; subject: string; claims: TokenClaims };

export const anonymous: Principal = { kind: 'anonymous' };

export function principalName(p: Principal): string {
  return p.kind === 'user' ? p.username : p.kind === 'token' ? p.subject || 'anonymous' : 'anonymous';
}
