// Direct reads from the registry's HTTP API: the registry's own word on what a client
// pushed, independent of what the client claims. On Berth they authenticate with Basic
// credentials (the admin's, `reg.readAuth`), which /v2 accepts without a token.
import { createHash } from 'node:crypto';
import { authHeaders } from './auth.js';
import type { TargetRegistry } from './registry.js';

type Target = Pick<TargetRegistry, 'url' | 'readAuth'>;

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

const ACCEPT_ALL = Object.values(MEDIA).join(', ');

export const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  body: Buffer;
  json: {
    mediaType?: string;
    manifests?: Array<{ digest: string; platform?: { architecture: string } }>;
    layers?: Array<{ digest: string }>;
    config?: { digest: string };
  };
}

function describe(method: string, url: string, res: Response, body: Buffer): string {
  const headers = [...res.headers].map(([k, v]) => `  ${k}: ${v}`).join('\n');
  return `${method} ${url} -> ${res.status}\n${headers}\n  body: ${body.toString('utf8').slice(0, 500)}`;
}

/**
 * GET /v2/<name>/manifests/<ref>, checking what every client relies on: 200, a
 * Docker-Content-Digest header, and that it is the digest of the bytes served.
 */
export async function getManifest(reg: Target, name: string, ref: string): Promise<FetchedManifest> {
  const url = `${reg.url}/v2/${name}/manifests/${ref}`;
  const res = await fetch(url, { headers: { Accept: ACCEPT_ALL, ...authHeaders(reg.readAuth) } });
  const body = Buffer.from(await res.arrayBuffer());
  const what = () => describe('GET', url, res, body);
  if (res.status !== 200) throw new Error(`expected 200:\n${what()}`);
  const digest = res.headers.get('docker-content-digest');
  if (!digest) throw new Error(`no Docker-Content-Digest header:\n${what()}`);
  if (digest !== sha256(body)) throw new Error(`Docker-Content-Digest is not the digest of the body (${sha256(body)}):\n${what()}`);
  const json = JSON.parse(body.toString('utf8')) as FetchedManifest['json'];
  const mediaType = res.headers.get('content-type') ?? '';
  if (json.mediaType && mediaType !== json.mediaType) {
    throw new Error(`Content-Type differs from the manifest's mediaType ${json.mediaType}:\n${what()}`);
  }
  return { digest, mediaType, body, json };
}

/** The digest a HEAD reports; clients use HEAD to check a tag before pulling. */
export async function headManifestDigest(reg: Target, name: string, ref: string): Promise<string> {
  const url = `${reg.url}/v2/${name}/manifests/${ref}`;
  const res = await fetch(url, { method: 'HEAD', headers: { Accept: ACCEPT_ALL, ...authHeaders(reg.readAuth) } });
  const digest = res.headers.get('docker-content-digest');
  if (res.status !== 200 || !digest) throw new Error(`HEAD manifest failed:\n${describe('HEAD', url, res, Buffer.alloc(0))}`);
  return digest;
}

export async function listTags(reg: Target, name: string): Promise<string[]> {
  const url = `${reg.url}/v2/${name}/tags/list`;
  const res = await fetch(url, { headers: authHeaders(reg.readAuth) });
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`tags/list failed:\n${describe('GET', url, res, body)}`);
  return (JSON.parse(body.toString('utf8')) as { tags: string[] | null }).tags ?? [];
}
