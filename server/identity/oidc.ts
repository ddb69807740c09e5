// Berth as an OpenID Connect relying party (openid-client): the authorization code flow
// with PKCE, state and nonce, the ID token's signature, issuer, audience and expiry
// checked, and the refresh that a CLI login uses to ask whether the user may still sign in.
import * as oidc from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import type { AuthSettingsValues } from '../config/authSettings.js';

export type OidcSettings = Pick<
  AuthSettingsValues,
  'oidc_endpoint' | 'oidc_client_id' | 'oidc_client_secret' | 'oidc_scope' | 'oidc_user_claim' | 'oidc_groups_claim' | 'oidc_admin_group' | 'oidc_verify_cert'
>;

/** The provider could not be asked, or answered something Berth must refuse. */
export class ProviderError extends Error {
  override name = 'ProviderError';
}

/** What a verified sign-in says of the user. */
export interface OidcIdentity {
  /** `<issuer>|<subject>`: stable across renames, unique across providers. */
  subiss: string;
  /** The claimed user name (oidc_user_claim, else preferred_username, email, name). */
  username?: string;
  email?: string;
  realname?: string;
  groups: string[];
  admin: boolean;
  refreshToken?: string;
  /** When the ID token expires: a CLI login after this asks the provider again. */
  expiresAt: Date;
}

const configs = new Map<string, { at: number; config: Promise<oidc.Configuration> }>();
const configTtlMs = 5 * 60_000;

/** The provider's configuration from its discovery document, kept five minutes. */
function configuration(s: OidcSettings): Promise<oidc.Configuration> {
  const key = JSON.stringify([s.oidc_endpoint, s.oidc_client_id, s.oidc_client_secret, s.oidc_verify_cert]);
  const hit = configs.get(key);
  if (hit && Date.now() - hit.at < configTtlMs) return hit.config;
  const options: oidc.DiscoveryRequestOptions = { timeout: 10 };
  // The settings allow http:// only for a provider on loopback.
  if (s.oidc_endpoint.startsWith('http://')) options.execute = [oidc.allowInsecureRequests];
  if (!s.oidc_verify_cert) {
    const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
    options[oidc.customFetch] = ((url: string, init: Parameters<typeof undiciFetch>[1]) =>
      undiciFetch(url, { ...init, dispatcher })) as unknown as oidc.CustomFetch;
  }
  const config = oidc.discovery(new URL(s.oidc_endpoint), s.oidc_client_id, s.oidc_client_secret || undefined, undefined, options).then((c) => {
    // Verify the ID token's signature too, not only its claims (openid-client trusts TLS by default).
    oidc.enableNonRepudiationChecks(c);
    return c;
  });
  config.catch(() => configs.delete(key));
  configs.set(key, { at: Date.now(), config });
  return config;
}

function providerError(err: unknown, what: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as Error & { code?: string; error?: string; error_description?: string };
  return new ProviderError(`${what}: ${e.error_description ?? e.error ?? e.message}${e.code ? ` (${e.code})` : ''}`);
}

/** Where to send the browser, with the values the callback must find again. */
export async function authorizationRequest(s: OidcSettings, redirectUri: string): Promise<{ url: string; state: string; nonce: string; codeVerifier: string }> {
  let config: oidc.Configuration;
  try {
    config = await configuration(s);
  } catch (err) {
    throw providerError(err, `cannot read the provider's discovery document at ${s.oidc_endpoint}`);
  }
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const scope = s.oidc_scope.split(',').join(' ');
  const params: Record<string, string> = {
    redirect_uri: redirectUri,
    scope,
    response_type: 'code',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  };
  // Providers issue a refresh token for offline_access only when consent is asked for.
  if (scope.split(' ').includes('offline_access')) params.prompt = 'consent';
  return { url: oidc.buildAuthorizationUrl(config, params).href, state, nonce, codeVerifier };
}

function identityOf(s: OidcSettings, claims: Record<string, unknown>, refreshToken: string | undefined): OidcIdentity {
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const username = text(s.oidc_user_claim ? claims[s.oidc_user_claim] : (claims.preferred_username ?? claims.email ?? claims.name));
  const raw = s.oidc_groups_claim ? claims[s.oidc_groups_claim] : undefined;
  const groups = Array.isArray(raw)
    ? raw.filter((g): g is string => typeof g === 'string' && g.length > 0 && g.length <= 255)
    : typeof raw === 'string'
      ? [raw]
      : [];
  return {
    subiss: `${claims.iss}|${claims.sub}`,
    username,
    email: text(claims.email),
    realname: text(claims.name),
    groups: [...new Set(groups)],
    admin: s.oidc_admin_group !== '' && groups.includes(s.oidc_admin_group),
    refreshToken,
    expiresAt: new Date(Number(claims.exp) * 1000),
  };
}

/**
 * Exchanges the code the provider sent back (at `callbackUrl`) for tokens, checking state,
 * PKCE, nonce and the ID token; ProviderError when anything does not match.
 */
export async function completeAuthorization(
  s: OidcSettings,
  callbackUrl: URL,
  expected: { state: string; nonce: string; codeVerifier: string },
): Promise<OidcIdentity> {
  try {
    const config = await configuration(s);
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: expected.codeVerifier,
      expectedState: expected.state,
      expectedNonce: expected.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (!claims) throw new ProviderError('the provider sent no ID token');
    return identityOf(s, claims as Record<string, unknown>, tokens.refresh_token);
  } catch (err) {
    throw providerError(err, 'the provider did not confirm the sign-in');
  }
}

/**
 * Asks the provider, with the refresh token of the last sign-in, whether the user may still
 * sign in. Undefined when the provider refuses (the user was removed or disabled, or the
 * grant revoked); ProviderError when it cannot be asked.
 */
export async function refreshIdentity(s: OidcSettings, refreshToken: string, previous: { subiss: string }): Promise<OidcIdentity | undefined> {
  let tokens: Awaited<ReturnType<typeof oidc.refreshTokenGrant>>;
  try {
    tokens = await oidc.refreshTokenGrant(await configuration(s), refreshToken);
  } catch (err) {
    if (err instanceof oidc.ResponseBodyError && (err.error === 'invalid_grant' || err.error === 'unauthorized_client')) return undefined;
    throw providerError(err, 'the provider could not renew the sign-in');
  }
  const claims = tokens.claims() as Record<string, unknown> | undefined;
  if (!claims) throw new ProviderError('the provider renewed the sign-in without an ID token');
  const identity = identityOf(s, claims, tokens.refresh_token ?? refreshToken);
  if (identity.subiss !== previous.subiss) throw new ProviderError('the provider renewed the sign-in for another subject');
  return identity;
}
