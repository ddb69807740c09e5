// Docker token auth for the conformance client, the way reggie (the official suite's client)
// and docker do it: a 401 carrying `WWW-Authenticate: Bearer realm=…,service=…,scope=…` is
// answered by fetching a token from the realm (HTTP Basic with the configured credentials,
// the challenge's service, one `scope` parameter per space-separated scope) and sending the
// request again once with `Authorization: Bearer <token>`.
//
// Like docker, the client also pre-authenticates: once a challenge has told it the realm and
// service, a request to a repository goes out with a token for
// `repository:<name>:pull,push,delete` (plus `repository:<from>:pull` on a cross-repository
// mount, as docker asks), so most requests cost one round trip and request bodies never need
// replaying. The 401 path stays the one that is always right; tokens are cached per scope set
// until shortly before they expire.
export interface Credentials {
  username: string;
  password: string;
}

export function basicAuthorization(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

export interface Challenge {
  /** Lower-cased auth scheme: 'bearer', 'basic', … */
  scheme: string;
  /** Auth parameters, names lower-cased, quoted values unquoted. */
  params: Record<string, string>;
}

/**
 * Parses a WWW-Authenticate value (RFC 9110 §11.6.1) into its challenges:
 * `Bearer realm="…",service="…",scope="a b",error="insufficient_scope"`.
 */
export function parseChallenges(header: string | null): Challenge[] {
  if (!header) return [];
  const out: Challenge[] = [];
  const re = /\s*(?:,\s*)*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([!#$%&'*+.^_`|~0-9A-Za-z/-]+=*)))?/y;
  let current: Challenge | undefined;
  let i = 0;
  while (i < header.length) {
    re.lastIndex = i;
    const m = re.exec(header);
    if (!m || m[0].length === 0) break;
    i = re.lastIndex;
    const [, name, quoted, token] = m;
    if (quoted === undefined && token === undefined) {
      current = { scheme: name.toLowerCase(), params: {} };
      out.push(current);
    } else if (current) {
      current.params[name.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : token;
    }
  }
  return out;
}

export function bearerChallenge(header: string | null): Challenge | undefined {
  return parseChallenges(header).find((c) => c.scheme === 'bearer');
}

/** The scopes of a challenge: one `scope` parameter, several scopes separated by spaces. */
export function challengeScopes(ch: Challenge): string[] {
  return (ch.params.scope ?? '').split(' ').filter((s) => s !== '');
}

export interface TokenResponse {
  token?: string;
  access_token?: string;
  expires_in?: number;
  issued_at?: string;
}

/** The token request as the official suite (reggie) and docker send it. */
export function tokenUrl(realm: string, base: string, service: string | undefined, scopes: readonly string[]): URL {
  const url = new URL(realm, base);
  if (service !== undefined) url.searchParams.append('service', service);
  for (const s of scopes) url.searchParams.append('scope', s);
  return url;
}

interface CachedToken {
  token: string;
  /** Date.now() after which the token is not used again. */
  freshUntil: number;
}

export class TokenFailure extends Error {}

/**
 * The credentials and token cache one run shares between all its clients: tokens are keyed by
 * realm, service and the (sorted) scope set they were asked for.
 */
export class RegistryAuth {
  /** realm and service from the last Bearer challenge seen: what pre-authentication uses. */
  bearer: { realm: string; service?: string } | undefined;
  /** Token requests sent (for diagnostics). */
  tokenRequests = 0;
  private readonly tokens = new Map<string, Promise<CachedToken>>();

  constructor(
    readonly baseUrl: string,
    readonly credentials: Credentials | undefined,
  ) {}

  learn(ch: Challenge): void {
    if (ch.params.realm) this.bearer = { realm: ch.params.realm, service: ch.params.service };
  }

  private key(realm: string, service: string | undefined, scopes: readonly string[]): string {
    return `${realm}\n${service ?? ''}\n${[...scopes].sort().join(' ')}`;
  }

  /** A cached token for exactly this scope set, or a fresh one. Throws TokenFailure when refused. */
  async token(realm: string, service: string | undefined, scopes: readonly string[]): Promise<string> {
    const key = this.key(realm, service, scopes);
    const cached = this.tokens.get(key);
    if (cached) {
      try {
        const t = await cached;
        if (Date.now() < t.freshUntil) return t.token;
      } catch {
        /* a failed fetch is retried below */
      }
      if (this.tokens.get(key) === cached) this.tokens.delete(key);
    }
    const pending = this.fetchToken(realm, service, scopes);
    this.tokens.set(key, pending);
    pending.catch(() => {
      if (this.tokens.get(key) === pending) this.tokens.delete(key);
    });
    return (await pending).token;
  }

  /** Forget a token the registry called invalid. */
  forget(token: string): void {
    for (const [key, p] of this.tokens) {
      p.then(
        (t) => {
          if (t.token === token && this.tokens.get(key) === p) this.tokens.delete(key);
        },
        () => undefined,
      );
    }
  }

  private async fetchToken(realm: string, service: string | undefined, scopes: readonly string[]): Promise<CachedToken> {
    const url = tokenUrl(realm, this.baseUrl, service, scopes);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'berth-conformance' };
    if (this.credentials) headers.authorization = basicAuthorization(this.credentials);
    this.tokenRequests++;
    const started = Date.now();
    let res: Response;
    try {
      res = await fetch(url, { headers });
    } catch (err) {
      throw new TokenFailure(`token request GET ${url.pathname}${url.search}: transport error: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    const what = `token request GET ${url.pathname}${url.search} -> ${res.status} ${text.slice(0, 300)}`;
    if (res.status !== 200) throw new TokenFailure(what);
    let body: TokenResponse;
    try {
      body = JSON.parse(text) as TokenResponse;
    } catch {
      throw new TokenFailure(`${what} (not JSON)`);
    }
    const token = body.token || body.access_token;
    if (!token) throw new TokenFailure(`${what} (no token)`);
    // token.md: expires_in defaults to 60; clients treat anything shorter as 60 (docker does).
    const lifetime = Math.max(typeof body.expires_in === 'number' ? body.expires_in : 60, 60);
    return { token, freshUntil: started + (lifetime - 10) * 1000 };
  }
}

/** Repository routes of the distribution API; `.+` is greedy, as the server's own routes are. */
const repositoryRoute = /^\/v2\/(.+)\/(?:manifests\/[^/]+|blobs\/uploads\/[^/]*|blobs\/[^/]+|tags\/list|referrers\/[^/]+)$/;

/**
 * The scopes to pre-authenticate a request with, or undefined when the request's needs are not
 * known up front (`/v2/`, odd paths): those go out bare and follow the challenge.
 */
export function preauthScopes(url: URL): string[] | undefined {
  if (url.pathname === '/v2/_catalog') return ['registry:catalog:*'];
  const m = repositoryRoute.exec(url.pathname);
  if (!m) return undefined;
  const scopes = [`repository:${m[1]}:pull,push,delete`];
  const from = url.searchParams.get('from');
  if (url.searchParams.has('mount') && from && from !== m[1]) scopes.push(`repository:${from}:pull`);
  return scopes;
}
