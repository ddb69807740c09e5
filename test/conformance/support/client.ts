// A small OCI Distribution client on Node's global fetch, shaped like reggie (the Go client the
// official conformance suite uses), so that the ported tests read like the originals:
// request paths are templates with <name>, <reference> and <digest>, query parameters are
// appended to whatever query a Location header already carried, and `relativeLocation()` is
// reggie's GetRelativeLocation (path plus query of the Location header).
//
// Authentication follows reggie and docker (support/auth.ts): a 401 with a Bearer challenge
// is answered with a token from the challenge's realm and the request is sent once more; once
// the realm is known, repository requests are pre-authenticated with a cached token for the
// repository. Every body is held in memory and rebuilt for each attempt (a chunked body is a
// fresh stream each time), so any request can be replayed.
//
// `rawRequest` goes around fetch with node:http for the few requests fetch cannot express:
// paths with dot segments or %2e (the WHATWG URL parser would normalise `..` away before the
// request left, so a path-traversal test would test nothing) and GET requests with a body.
import http from 'node:http';
import { basicAuthorization, bearerChallenge, challengeScopes, parseChallenges, preauthScopes, TokenFailure, type RegistryAuth } from './auth.js';

export type Body = Uint8Array | string;

export interface OciErrorInfo {
  code: string;
  message?: unknown;
  detail?: unknown;
}

export interface RequestOptions {
  /** Replaces <name>; defaults to the client's default repository (reggie's WithName). */
  name?: string;
  /** Replaces <reference> (reggie's WithReference). */
  reference?: string;
  /** Replaces <digest> (reggie's WithDigest). */
  digest?: string;
  headers?: Record<string, string>;
  /** Appended after any query already in the path, like resty's SetQueryParam. */
  query?: Record<string, string>;
  body?: Body;
  /**
   * Send the body with Transfer-Encoding: chunked and no Content-Length. reggie hands Go's
   * http client an io.Reader of unknown length, so every body the official suite sends goes
   * out chunked; the ported tests do the same so that Berth is exercised the way real
   * clients (docker, containerd) stream layers.
   */
  chunked?: boolean;
  /**
   * false: send exactly these headers, no token and no retry on a challenge (for tests of
   * authentication itself). An explicit Authorization header implies the same.
   */
  auth?: boolean;
}

export class RegistryResponse {
  /** How the client authenticated this request, when it did (shown by describe()). */
  authNote?: string;

  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly headers: Headers,
    readonly body: Buffer,
  ) {}

  header(name: string): string | null {
    return this.headers.get(name);
  }

  text(): string {
    return this.body.toString('utf8');
  }

  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }

  /** reggie's GetRelativeLocation: the path and query of the Location header, or ''. */
  relativeLocation(): string {
    const loc = this.header('location');
    if (!loc) return '';
    try {
      const u = new URL(loc, 'http://relative.invalid');
      return u.pathname + u.search;
    } catch {
      return '';
    }
  }

  /** reggie's Errors(): the `errors` array of an OCI error body, or undefined if there is none. */
  errors(): OciErrorInfo[] | undefined {
    try {
      const parsed = this.json<{ errors?: unknown }>();
      if (!Array.isArray(parsed.errors) || parsed.errors.length === 0) return undefined;
      return parsed.errors as OciErrorInfo[];
    } catch {
      return undefined;
    }
  }

  /** One line for assertion messages: the exact request and what came back. */
  describe(): string {
    const pathAndQuery = (() => {
      try {
        const u = new URL(this.url);
        return u.pathname + u.search;
      } catch {
        return this.url;
      }
    })();
    const interesting = [
      'www-authenticate',
      'content-type',
      'content-length',
      'location',
      'range',
      'content-range',
      'docker-content-digest',
      'docker-upload-uuid',
      'oci-subject',
      'oci-filters-applied',
      'link',
    ];
    const hdrs = interesting
      .map((h) => [h, this.header(h)] as const)
      .filter(([, v]) => v !== null)
      .map(([h, v]) => `${h}: ${v}`)
      .join('; ');
    let body = this.body.subarray(0, 400).toString('utf8');
    if (this.body.length > 400) body += `… (${this.body.length} bytes)`;
    const auth = this.authNote ? ` {auth: ${this.authNote}}` : '';
    return `${this.method} ${pathAndQuery} -> ${this.status} [${hdrs}] ${body}${auth}`;
  }
}

const defaultHeaders: Record<string, string> = {
  // Byte-exact and length checks need the bytes as sent, never a transparently decoded body.
  'accept-encoding': 'identity',
  'user-agent': 'berth-conformance',
};

function fillTemplate(path: string, name: string, opts: RequestOptions): string {
  return path
    .replaceAll('<name>', name)
    .replaceAll('<reference>', opts.reference ?? '<reference>')
    .replaceAll('<digest>', opts.digest ?? '<digest>');
}

function toBytes(body: Body): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.length > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

function hasAuthorization(headers: Record<string, string> | undefined): boolean {
  return Object.keys(headers ?? {}).some((h) => h.toLowerCase() === 'authorization');
}

export class OciClient {
  constructor(
    readonly baseUrl: string,
    readonly defaultName: string,
    /** Shared credentials and token cache; without it the client never authenticates. */
    readonly auth?: RegistryAuth,
  ) {}

  /** A client for another repository on the same registry. */
  withName(name: string): OciClient {
    return new OciClient(this.baseUrl, name, this.auth);
  }

  url(path: string, opts: RequestOptions = {}): URL {
    const filled = fillTemplate(path, opts.name ?? this.defaultName, opts);
    if (/<name>|<reference>|<digest>/.test(filled)) throw new Error(`unfilled placeholder in ${filled}`);
    const url = new URL(filled, this.baseUrl);
    if (opts.query && Object.keys(opts.query).length > 0) {
      const extra = new URLSearchParams(opts.query).toString();
      // Append rather than re-serialise, so an opaque query from a Location header (for
      // example an upload state token) is passed back byte for byte.
      url.search = url.search ? `${url.search}&${extra}` : `?${extra}`;
    }
    return url;
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<RegistryResponse> {
    const url = this.url(path, opts);
    const auth = opts.auth === false || hasAuthorization(opts.headers) ? undefined : this.auth;
    if (!auth) return this.send(method, url, opts, undefined);

    let sent: string | undefined;
    let note: string | undefined;
    const scopes = auth.bearer ? preauthScopes(url) : undefined;
    if (auth.bearer && scopes) {
      try {
        sent = `Bearer ${await auth.token(auth.bearer.realm, auth.bearer.service, scopes)}`;
        note = `bearer token for ${scopes.join(' ')}`;
      } catch {
        // Refused up front (e.g. a scope the token service rejects): go bare and follow the challenge.
      }
    }
    const first = await this.send(method, url, opts, sent);
    first.authNote = note;
    if (first.status !== 401) return first;

    // reggie's retryRequestWithAuth: answer the challenge once.
    const challenge = first.header('www-authenticate');
    const bearer = bearerChallenge(challenge);
    let retry: string | undefined;
    if (bearer?.params.realm) {
      auth.learn(bearer);
      const wanted = challengeScopes(bearer);
      if (bearer.params.error === 'invalid_token' && sent?.startsWith('Bearer ')) auth.forget(sent.slice(7));
      try {
        retry = `Bearer ${await auth.token(bearer.params.realm, bearer.params.service, wanted)}`;
      } catch (err) {
        if (!(err instanceof TokenFailure)) throw err;
        first.authNote = `${note ? `${note}; ` : ''}challenge not answered: ${err.message}`;
        return first;
      }
      note = `bearer token for ${wanted.length > 0 ? wanted.join(' ') : '(no scope)'}, after a challenge`;
    } else if (parseChallenges(challenge).some((c) => c.scheme === 'basic') && auth.credentials) {
      retry = basicAuthorization(auth.credentials);
      note = `basic ${auth.credentials.username}, after a challenge`;
    }
    if (!retry || retry === sent) {
      if (retry) first.authNote = `${note}: the same credentials were refused`;
      return first;
    }
    const second = await this.send(method, url, opts, retry);
    second.authNote = note;
    return second;
  }

  private async send(method: string, url: URL, opts: RequestOptions, authorization: string | undefined): Promise<RegistryResponse> {
    const headers: Record<string, string> = { ...defaultHeaders, ...opts.headers };
    if (authorization) headers.authorization = authorization;
    const init: RequestInit & { duplex?: 'half' } = { method, headers, redirect: 'follow' };
    if (opts.body !== undefined) {
      const bytes = toBytes(opts.body);
      if (opts.chunked) {
        init.body = streamOf(bytes);
        init.duplex = 'half';
      } else {
        init.body = new Uint8Array(bytes); // a copy typed on a plain ArrayBuffer, as BodyInit wants
      }
    }
    try {
      const res = await fetch(url, init);
      const body = Buffer.from(await res.arrayBuffer());
      return new RegistryResponse(method, url.toString(), res.status, res.headers, body);
    } catch (err) {
      // fetch's own message ("terminated", "fetch failed") names neither the request nor the
      // socket-level cause; a conformance failure needs both.
      const cause = (err as { cause?: { message?: string; code?: string } }).cause;
      const why = cause ? `${cause.code ?? ''} ${cause.message ?? ''}`.trim() : '';
      throw new Error(`${method} ${url.pathname}${url.search}: transport error: ${(err as Error).message}${why ? ` (${why})` : ''}`, { cause: err });
    }
  }
}

/**
 * Sends `rawPath` to the registry verbatim (no dot-segment or percent-decoding normalisation),
 * with an optional body on any method.
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  rawPath: string,
  opts: { headers?: Record<string, string>; body?: Body } = {},
): Promise<RegistryResponse> {
  const base = new URL(baseUrl);
  const bytes = opts.body === undefined ? undefined : toBytes(opts.body);
  const headers: Record<string, string> = { ...defaultHeaders, ...opts.headers };
  if (bytes) headers['content-length'] = String(bytes.length);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port || 80, method, path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (v === undefined) continue;
          for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
        }
        resolve(new RegistryResponse(method, `${base.origin}${rawPath}`, res.statusCode ?? 0, h, Buffer.concat(chunks)));
      });
    });
    req.on('error', (err) => reject(new Error(`${method} ${rawPath}: transport error: ${err.message}`, { cause: err })));
    if (bytes) req.write(bytes);
    req.end();
  });
}
