// Talking to a remote registry: the /v2/ handshake with whatever auth it asks for (none,
// Basic, or the Docker token flow), every request through targetFetch.
import type { Response as UndiciResponse } from 'undici';
import { targetFetch, type AllowedNetworks } from './targets.js';

export interface RemoteRegistry {
  url: string;
  insecure: boolean;
  credential?: { username: string; password: string };
}

export class RemoteError extends Error {
  override name = 'RemoteError';
}

/** `Bearer realm="…",service="…"` or `Basic realm="…"`, as parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } | undefined {
  const m = /^\s*(\w+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/(\w+)="([^"]*)"|(\w+)=([^,\s]+)/g)) params[(p[1] ?? p[3]).toLowerCase()] = p[2] ?? p[4];
  return { scheme: m[1].toLowerCase(), params };
}

function basic(c: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

function base(r: RemoteRegistry): string {
  return r.url.replace(/\/+$/, '');
}

async function describe(res: UndiciResponse): Promise<string> {
  const text = (await res.text().catch(() => '')).slice(0, 300);
  return `${res.status}${text ? `: ${text}` : ''}`;
}

/**
 * The Authorization header the registry wants for `scope` (undefined: none needed).
 * Throws RemoteError when it cannot be had (no or wrong credentials).
 */
export async function authorizationFor(r: RemoteRegistry, allow: AllowedNetworks, challenge: string, scope?: string): Promise<string> {
  const c = parseChallenge(challenge);
  if (c?.scheme === 'basic') {
    if (!r.credential) throw new RemoteError('the registry requires credentials');
    return basic(r.credential);
  }
  if (c?.scheme !== 'bearer' || !c.params.realm) throw new RemoteError(`unsupported authentication challenge: ${challenge.slice(0, 200)}`);
  const realm = new URL(c.params.realm);
  if (c.params.service) realm.searchParams.set('service', c.params.service);
  if (scope) realm.searchParams.set('scope', scope);
  if (r.credential) realm.searchParams.set('account', r.credential.username);
  const res = await targetFetch(realm.toString(), { headers: r.credential ? { Authorization: basic(r.credential) } : {} }, { insecure: r.insecure, allow });
  if (res.status === 401 || res.status === 403)
    throw new RemoteError(r.credential ? 'the registry rejected the credentials' : 'the registry requires credentials');
  if (res.status !== 200) throw new RemoteError(`the token service answered ${await describe(res)}`);
  const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw new RemoteError('the token service answered without a token');
  return `Bearer ${token}`;
}

/** Checks that the URL is a registry (GET /v2/ answers 200) and the credentials are accepted. */
export async function pingRemote(r: RemoteRegistry, allow: AllowedNetworks): Promise<void> {
  const url = `${base(r)}/v2/`;
  let res: UndiciResponse;
  try {
    res = await targetFetch(url, {}, { insecure: r.insecure, allow });
    if (res.status === 401) {
      const challenge = res.headers.get('www-authenticate') ?? '';
      await res.body?.cancel();
      res = await targetFetch(url, { headers: { Authorization: await authorizationFor(r, allow, challenge) } }, { insecure: r.insecure, allow });
      if (res.status === 401 || res.status === 403)
        throw new RemoteError(r.credential ? 'the registry rejected the credentials' : 'the registry requires credentials');
    }
  } catch (err) {
    if (err instanceof RemoteError) throw err;
    const e = err as Error & { cause?: Error & { code?: string } };
    throw new RemoteError(`cannot reach ${url}: ${e.cause?.message ?? e.message}`);
  }
  if (res.status !== 200) throw new RemoteError(`${url} is not a registry: it answered ${await describe(res)}`);
  await res.body?.cancel();
}
