// A /v2 client for one remote registry: authenticates as the registry asks (per scope,
// tokens cached until shortly before they expire), retries what is worth retrying, and
// streams blobs without holding them. Every request goes through targetFetch.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Response as UndiciResponse, RequestInit as UndiciRequestInit } from 'undici';
import { manifestKinds, maxManifestBytes } from '../../server/registry/mediaTypes.js';
import { authorizationFor, RemoteError, type RemoteRegistry } from '../../server/replication/remote.js';
import { targetFetch, TargetRefused, type AllowedNetworks } from '../../server/replication/targets.js';

/** Every manifest type a copy may meet, for Accept. */
export const manifestAccept = Object.keys(manifestKinds).join(', ');

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetry: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 };

/** A failure worth another try: the network, 5xx, 429. */
export class TransientError extends RemoteError {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

function retryAfter(res: UndiciResponse): number | undefined {
  const v = res.headers.get('retry-after');
  if (!v) return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Runs `fn`, again on TransientError with exponential backoff (or the server's Retry-After). */
export async function withRetry<T>(policy: RetryPolicy, what: string, fn: (attempt: number) => Promise<T>, onRetry?: (message: string) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!(err instanceof TransientError) || attempt >= policy.attempts) {
        if (err instanceof TransientError) throw new RemoteError(`${what}: gave up after ${attempt} attempts: ${err.message}`);
        throw err;
      }
      const delay = Math.min(policy.maxDelayMs, err.retryAfterMs ?? policy.baseDelayMs * 2 ** (attempt - 1));
      onRetry?.(`${what}: ${err.message}; attempt ${attempt + 1} of ${policy.attempts} in ${delay} ms`);
      await sleep(delay);
    }
  }
}

/** A refusal that another try will not change (4xx other than 408 and 429). */
export class PermanentError extends RemoteError {
  override name = 'PermanentError';
}

async function refusal(what: string, res: UndiciResponse): Promise<RemoteError> {
  const message = `${what}: ${res.status} ${(await res.text().catch(() => '')).slice(0, 300)}`.trim();
  return res.status >= 400 && res.status < 500 && res.status !== 408 ? new PermanentError(message) : new RemoteError(message);
}

export interface ClientOptions {
  /** Aborts every request of this client (a stopped task). */
  signal?: AbortSignal;
  /** Authorization for a scope, made locally (this Berth's own /v2) instead of asked for. */
  authorize?: (scope: string) => string;
}

export class RegistryClient {
  private readonly auth = new Map<string, { header: string; until: number }>();

  constructor(
    readonly remote: RemoteRegistry,
    private readonly allow: AllowedNetworks,
    private readonly opts: ClientOptions = {},
  ) {}

  private url(path: string): string {
    return /^https?:\/\//.test(path) ? path : `${this.remote.url.replace(/\/+$/, '')}${path}`;
  }

  /**
   * One request with the authorization `scope` needs, fetching it when the registry asks
   * (401). Network errors, 5xx and 429 become TransientError; other statuses are returned.
   */
  async request(method: string, path: string, scope: string, init: UndiciRequestInit = {}): Promise<UndiciResponse> {
    const send = async (authorization?: string) => {
      try {
        return await targetFetch(
          this.url(path),
          {
            ...init,
            method,
            signal: this.opts.signal,
            headers: { ...(init.headers as Record<string, string>), ...(authorization ? { Authorization: authorization } : {}) },
          },
          // Blob bodies have no total limit, only the idle limits of the connection.
          { insecure: this.remote.insecure, allow: this.allow, timeoutMs: init.body || path.includes('/blobs/sha') ? 0 : 60_000 },
        );
      } catch (err) {
        if (err instanceof TargetRefused) throw err;
        if (this.opts.signal?.aborted) throw new PermanentError(`${method} ${path}: stopped`);
        const e = err as Error & { cause?: Error };
        throw new TransientError(`${method} ${path}: ${e.cause?.message ?? e.message}`);
      }
    };
    if (this.opts.authorize) {
      const res = await send(this.opts.authorize(scope));
      if (res.status >= 500 || res.status === 429) {
        const text = (await res.text().catch(() => '')).slice(0, 200);
        throw new TransientError(`${method} ${path}: ${res.status}${text ? ` ${text}` : ''}`, retryAfter(res));
      }
      return res;
    }
    const cached = this.auth.get(scope);
    let res = await send(cached && cached.until > Date.now() ? cached.header : undefined);
    // A streamed body cannot be sent twice; callers make sure the token is cached first.
    const resendable = !init.body || init.body instanceof Uint8Array;
    if (res.status === 401 && resendable) {
      const challenge = res.headers.get('www-authenticate') ?? '';
      await res.body?.cancel();
      const header = await authorizationFor(this.remote, this.allow, challenge, scope);
      // Registry tokens live minutes; renewing after four is safe for every registry we know.
      this.auth.set(scope, { header, until: Date.now() + 4 * 60_000 });
      res = await send(header);
    }
    if (res.status >= 500 || res.status === 429) {
      const text = (await res.text().catch(() => '')).slice(0, 200);
      throw new TransientError(`${method} ${path}: ${res.status}${text ? ` ${text}` : ''}`, retryAfter(res));
    }
    return res;
  }

  async getManifest(repository: string, reference: string): Promise<{ mediaType: string; digest: string | undefined; bytes: Buffer }> {
    const res = await this.request('GET', `/v2/${repository}/manifests/${reference}`, `repository:${repository}:pull`, { headers: { Accept: manifestAccept } });
    if (res.status !== 200) throw await refusal(`GET manifest ${repository}:${reference}`, res);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > maxManifestBytes) throw new RemoteError(`manifest ${repository}:${reference} is over ${maxManifestBytes} bytes`);
    return { mediaType: (res.headers.get('content-type') ?? '').split(';')[0].trim(), digest: res.headers.get('docker-content-digest') ?? undefined, bytes };
  }

  async hasManifest(repository: string, digest: string, scope: string): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${repository}/manifests/${digest}`, scope, { headers: { Accept: manifestAccept } });
    await res.body?.cancel();
    return res.status === 200;
  }

  async hasBlob(repository: string, digest: string, scope: string): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`, scope);
    await res.body?.cancel();
    return res.status === 200;
  }

  async getBlob(repository: string, digest: string): Promise<UndiciResponse> {
    const res = await this.request('GET', `/v2/${repository}/blobs/${digest}`, `repository:${repository}:pull`);
    if (res.status !== 200) throw await refusal(`GET blob ${repository}@${digest}`, res);
    return res;
  }

  /** Cross-repository mount within this registry; false when the registry started an upload instead. */
  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    const scope = `repository:${repository}:pull,push repository:${from}:pull`;
    const res = await this.request('POST', `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, scope);
    await res.body?.cancel();
    if (res.status === 201) return true;
    const location = res.headers.get('location');
    if (res.status === 202 && location) {
      // Not mounted: give the session back rather than leave it to the purge.
      const cancel = await this.request('DELETE', location, `repository:${repository}:pull,push`);
      await cancel.body?.cancel();
    }
    return false;
  }

  /** Streams a blob in one PUT (POST for a session, then PUT ?digest= with the body). */
  async putBlob(repository: string, digest: string, size: number, body: ReadableStream<Uint8Array>): Promise<void> {
    const scope = `repository:${repository}:pull,push`;
    const start = await this.request('POST', `/v2/${repository}/blobs/uploads/`, scope);
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (start.status !== 202 || !location) throw await refusal(`POST upload to ${repository}`, start);
    const url = new URL(location, `${this.remote.url.replace(/\/+$/, '')}/`);
    url.searchParams.set('digest', digest);
    const res = await this.request('PUT', url.toString(), scope, {
      body,
      duplex: 'half',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
    });
    if (res.status !== 201) throw await refusal(`PUT blob ${repository}@${digest}`, res);
    await res.body?.cancel();
  }

  async putManifest(repository: string, reference: string, mediaType: string, bytes: Buffer): Promise<void> {
    const res = await this.request('PUT', `/v2/${repository}/manifests/${reference}`, `repository:${repository}:pull,push`, {
      body: new Uint8Array(bytes),
      headers: { 'Content-Type': mediaType },
    });
    if (res.status !== 201) throw await refusal(`PUT manifest ${repository}:${reference}`, res);
    await res.body?.cancel();
  }

  /** The digest a tag or digest names on this registry, or undefined when it names nothing. */
  async resolveManifest(repository: string, reference: string, scope = `repository:${repository}:pull`): Promise<string | undefined> {
    const res = await this.request('HEAD', `/v2/${repository}/manifests/${reference}`, scope, { headers: { Accept: manifestAccept } });
    await res.body?.cancel();
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await refusal(`HEAD manifest ${repository}:${reference}`, res);
    return res.headers.get('docker-content-digest') ?? undefined;
  }

  /** Deletes a tag or a manifest; false when it was not there. */
  async deleteManifest(repository: string, reference: string): Promise<boolean> {
    const res = await this.request('DELETE', `/v2/${repository}/manifests/${reference}`, `repository:${repository}:delete`);
    if (res.status === 404) {
      await res.body?.cancel();
      return false;
    }
    if (res.status !== 202 && res.status !== 200) throw await refusal(`DELETE manifest ${repository}:${reference}`, res);
    await res.body?.cancel();
    return true;
  }

  /** The digests of manifests that refer to `digest` (empty where the registry has no referrers API). */
  async referrers(repository: string, digest: string): Promise<string[]> {
    const res = await this.request('GET', `/v2/${repository}/referrers/${digest}`, `repository:${repository}:pull`, {
      headers: { Accept: 'application/vnd.oci.image.index.v1+json' },
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      return [];
    }
    const body = (await res.json().catch(() => ({}))) as { manifests?: Array<{ digest?: string }> };
    return (body.manifests ?? []).map((m) => m.digest).filter((d): d is string => typeof d === 'string');
  }

  /** Every page of a /v2 list (the catalog or a repository's tags), following Link. */
  private async *pages(path: string, scope: string, key: 'repositories' | 'tags'): AsyncGenerator<string> {
    let next: string | undefined = path;
    while (next) {
      const res = await this.request('GET', next, scope);
      if (res.status !== 200) throw await refusal(`GET ${next}`, res);
      const body = (await res.json()) as Record<string, string[] | null>;
      for (const item of body[key] ?? []) yield item;
      const link = /<([^>]+)>;\s*rel="?next"?/.exec(res.headers.get('link') ?? '');
      next = link ? link[1] : undefined;
    }
  }

  catalog(): AsyncGenerator<string> {
    return this.pages('/v2/_catalog?n=1000', 'registry:catalog:*', 'repositories');
  }

  tags(repository: string): AsyncGenerator<string> {
    return this.pages(`/v2/${repository}/tags/list?n=1000`, `repository:${repository}:pull`, 'tags');
  }
}
