// The console's sign-in through the identity provider, in three steps that may each reach
// another node: begin (remember state, nonce and PKCE verifier; send the browser to the
// provider), finish (the provider's answer checked; a session, or a user name to choose),
// and onboard (the chosen name). See docs/design/0016.
import { createHash, randomBytes } from 'node:crypto';
import { saveOidcLogin, takeOidcLogin } from '../db/oidc.js';
import { authorizationRequest, completeAuthorization, type OidcIdentity } from '../identity/oidc.js';
import { IdentityConflictError } from '../identity/externalUsers.js';
import { oidcSignIn } from '../identity/oidcLogin.js';
import { DomainError } from '../lib/errors.js';
import type { AuthDeps } from './resolvers.js';
import { openSessionFor, type SessionPrincipal } from './sessions.js';

const hash = (v: string) => createHash('sha256').update(v).digest('hex');

export type SignInResult = { session: { sid: string; csrfToken: string; principal: SessionPrincipal } } | { pending: string; suggestion: string };

async function oidcSettings(deps: AuthDeps) {
  const s = await deps.identity.current();
  if (!s.auth_modes.includes('oidc_auth')) throw new DomainError('PRECONDITION_FAILED', 'sign-in through an identity provider is off here');
  return s;
}

/** Step 1: the provider's authorization URL, and the state the browser must bring back. */
export async function beginOidcSignIn(deps: AuthDeps, redirectUri: string): Promise<{ url: string; state: string }> {
  const s = await oidcSettings(deps);
  const req = await authorizationRequest(s, redirectUri);
  await saveOidcLogin(deps.db, { stateHash: hash(req.state), codeVerifier: req.codeVerifier, nonce: req.nonce });
  return { url: req.url, state: req.state };
}

async function signIn(deps: AuthDeps, identity: OidcIdentity, chosenName?: string): Promise<SignInResult> {
  const s = await deps.identity.current();
  const result = await oidcSignIn(deps.db, s, deps.identity.box, identity, chosenName);
  if ('user' in result) return { session: await openSessionFor(deps, result.user, 'oidc') };
  // A new user picks a name: the verified identity waits, sealed, under a one-time id.
  const pending = randomBytes(32).toString('base64url');
  await saveOidcLogin(deps.db, { stateHash: hash(pending), codeVerifier: '-', nonce: '-', pendingSealed: deps.identity.box.seal(JSON.stringify(identity)) });
  return { pending, suggestion: result.needsName };
}

/** Step 2: the provider sent the browser back to `callbackUrl` with a code and the state. */
export async function finishOidcSignIn(deps: AuthDeps, callbackUrl: URL, state: string): Promise<SignInResult> {
  const s = await oidcSettings(deps);
  const started = await takeOidcLogin(deps.db, hash(state));
  if (!started || started.pending_sealed) throw new DomainError('UNAUTHENTICATED', 'this sign-in expired or was not started here; sign in again');
  const identity = await completeAuthorization(s, callbackUrl, { state, nonce: started.nonce, codeVerifier: started.code_verifier });
  return signIn(deps, identity);
}

/** Step 3, for a new user without automatic onboarding: the user name they chose. */
export async function finishOidcOnboarding(deps: AuthDeps, pending: string, username: string): Promise<SignInResult> {
  await oidcSettings(deps);
  const row = await takeOidcLogin(deps.db, hash(pending));
  if (!row?.pending_sealed) throw new DomainError('UNAUTHENTICATED', 'this sign-in expired; sign in again');
  const saved = JSON.parse(deps.identity.box.open(row.pending_sealed)) as OidcIdentity & { expiresAt: string };
  try {
    return await signIn(deps, { ...saved, expiresAt: new Date(saved.expiresAt) }, username);
  } catch (err) {
    // A name taken or malformed: the user may try another without signing in again.
    if (err instanceof IdentityConflictError) {
      await saveOidcLogin(deps.db, { stateHash: hash(pending), codeVerifier: '-', nonce: '-', pendingSealed: row.pending_sealed });
      throw new DomainError('CONFLICT', err.message);
    }
    throw err;
  }
}
