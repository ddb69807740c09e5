// A real OpenID Connect provider for tests: the `oidc-provider` package (the certified
// implementation behind many production providers) on 127.0.0.1, with one confidential
// client for Berth, signing keys of its own, PKCE required, refresh tokens for
// offline_access, and a groups claim. Its login step signs in as whichever account the
// test named last (`signInAs`), so a browser or a plain HTTP client goes through every
// redirect without a form; consent is granted for what the client asked.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';

export interface OidcAccount {
  sub: string;
  preferred_username?: string;
  email?: string;
  name?: string;
  groups?: string[];
}

export interface OidcProvider {
  /** The issuer: http://127.0.0.1:PORT */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who the next login step signs in as. */
  signInAs(account: string): void;
  accounts: Map<string, OidcAccount>;
  /** Removes an account, as disabling a user does: its refresh tokens stop working. */
  revoke(account: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startOidcProvider(opts: { redirectUris: string[]; accounts: OidcAccount[]; idTokenTtlSeconds?: number }): Promise<OidcProvider> {
  const clientId = 'berth';
  const clientSecret = 'berth-client-secret-for-tests';
  const accounts = new Map(opts.accounts.map((a) => [a.sub, a]));
  let next = opts.accounts[0]?.sub ?? '';
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const config: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: opts.redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
      },
    ],
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    claims: { openid: ['sub'], profile: ['preferred_username', 'name'], email: ['email'], groups: ['groups'] },
    // Claims in the ID token itself, as most providers are configured for a registry.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false }, revocation: { enabled: true } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: { IdToken: opts.idTokenTtlSeconds ?? 3600, AccessToken: 3600, RefreshToken: 86_400, Grant: 86_400, Session: 86_400, Interaction: 600 },
    cookies: { keys: ['berth-test-cookie-key'] },
    // Its own signing key, made per start: Berth must verify the ID token's signature with the provider's published keys.
    jwks: {
      keys: [
        { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' },
      ] as never,
    },
    // A removed account is unknown: its refresh tokens are refused (invalid_grant).
    async findAccount(_ctx, sub) {
      const a = accounts.get(sub);
      if (!a) return undefined;
      return { accountId: sub, claims: async () => ({ ...a }) };
    },
  };
  const provider = new Provider(issuer, config);
  provider.proxy = false;

  const interaction = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      if (!accounts.has(next)) {
        await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'no such account' });
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: next } }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session!.accountId, clientId: details.params.client_id as string });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant!.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant!.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant!.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  };
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interaction(req, res).catch((err) => {
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    callback(req, res);
  });

  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    signInAs(account) {
      next = account;
    },
    async revoke(account) {
      accounts.delete(account);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
