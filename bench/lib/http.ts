// A thin node:http client. fetch would do for small requests, but pushing blobs needs
// real backpressure on a streamed request body and pulling needs to discard bytes
// without buffering, both of which node:http gives directly.
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

// One keep-alive pool for the whole bench, like a docker daemon reusing connections.
export const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

const DEFAULT_TIMEOUT_MS = 60_000;

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body when collected (bounded by maxBody), else empty. */
  body: Buffer;
  /** Bytes received, whether collected or discarded. */
  bytes: number;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /**
   * A small body sent with Content-Length, or chunks streamed with chunked encoding
   * (unless the caller sets Content-Length itself).
   */
  body?: Buffer | Iterable<Buffer> | AsyncIterable<Buffer>;
  /** Collect at most this many body bytes; the rest is counted and dropped. */
  maxBody?: number;
  /** Sees every response chunk, e.g. to hash a body too large to collect. */
  onChunk?: (chunk: Buffer) => void;
  timeoutMs?: number;
}

/** Describes a failed exchange precisely enough to reproduce it by hand. */
export class HttpError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly res: Response | undefined,
    detail: string,
  ) {
    const got = res ? `${res.status} ${JSON.stringify(res.headers)} ${res.body.subarray(0, 500).toString('utf8')}` : 'no response';
    super(`${method} ${url}: ${detail}; got ${got}`);
  }
}

// Credentials per registry origin, added to every request that sets none itself (the
// bench talks to an authenticated Berth the way docker does: with a bearer token).
const authorizationByOrigin = new Map<string, string>();

export function authorizeOrigin(origin: string, authorization: string): void {
  authorizationByOrigin.set(new URL(origin).origin, authorization);
}

export function authorizationFor(url: string): string | undefined {
  return authorizationByOrigin.get(new URL(url).origin);
}

/** Sends one request; a transport failure (reset, timeout) is rethrown naming the request. */
export async function request(method: string, url: string, opts: RequestOptions = {}): Promise<Response> {
  try {
    return await exchange(method, url, opts);
  } catch (err) {
    if (err instanceof HttpError) throw err;
    const e = err as Error;
    const what = e.name === 'AbortError' || e.name === 'TimeoutError' ? `no complete answer within ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms` : e.message;
    throw new HttpError(method, url, undefined, what);
  }
}

async function exchange(method: string, url: string, opts: RequestOptions): Promise<Response> {
  const { body, maxBody = 64 * 1024, timeoutMs = DEFAULT_TIMEOUT_MS, onChunk } = opts;
  const headers: Record<string, string> = { ...opts.headers };
  const authorization = authorizationFor(url);
  if (authorization) headers.Authorization ??= authorization;
  if (Buffer.isBuffer(body)) headers['Content-Length'] = String(body.length);
  // Bodiless POST/PUT/PATCH say Content-Length: 0 explicitly, as the docker client does.
  else if (!body && method !== 'GET' && method !== 'HEAD') headers['Content-Length'] ??= '0';

  const req = http.request(url, { method, headers, agent, signal: AbortSignal.timeout(timeoutMs) });
  const responded = new Promise<Response>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      const kept: Buffer[] = [];
      let keptBytes = 0;
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        onChunk?.(chunk);
        if (keptBytes < maxBody) {
          kept.push(chunk);
          keptBytes += chunk.length;
        }
      });
      res.once('error', reject);
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(kept).subarray(0, maxBody), bytes }));
    });
  });

  if (body && !Buffer.isBuffer(body)) {
    // A server that answers early (an error, say) closes the upload; the answer is
    // what matters then, so a failed write only counts when there is no response.
    const sent = pipeline(Readable.from(body, { objectMode: false }), req).catch((err: Error) => err);
    const [res, sendErr] = await Promise.allSettled([responded, sent]);
    if (res.status === 'fulfilled') return res.value;
    throw sendErr.status === 'fulfilled' && sendErr.value ? sendErr.value : res.reason;
  }
  req.end(body);
  return responded;
}

/** Throws HttpError unless the status is one of `expected`. */
export function expectStatus(method: string, url: string, res: Response, ...expected: number[]): Response {
  if (!expected.includes(res.status)) throw new HttpError(method, url, res, `expected ${expected.join(' or ')}`);
  return res;
}

/** Resolves a Location header (relative per the spec, absolute on some registries). */
export function resolveLocation(base: string, res: Response, method: string, url: string): URL {
  const loc = res.headers.location;
  if (!loc) throw new HttpError(method, url, res, 'no Location header');
  return new URL(loc, base);
}
