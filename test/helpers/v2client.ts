// A minimal /v2 client for integration tests: fetch plus the digests of what it sends.
import { createHash, randomBytes } from 'node:crypto';
import { admin, basic } from './api.js';

/** fetch with the test admin's Basic credentials (accepted directly on /v2). */
export function v2fetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { Authorization: basic(admin), ...(init.headers as Record<string, string> | undefined) } });
}

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** fetch() typings take ArrayBuffer-backed views only; a Buffer may sit on a shared pool. */
export const asBody = (b: Buffer): Uint8Array<ArrayBuffer> => new Uint8Array(b);

export function randomBlob(size: number): { data: Buffer; digest: string } {
  const data = randomBytes(size);
  return { data, digest: sha256(data) };
}

export async function pushBlob(base: string, repo: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const res = await v2fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    body: asBody(data),
    headers: { 'Content-Type': 'application/octet-stream' },
  });
  if (res.status !== 201) throw new Error(`push blob: ${res.status} ${await res.text()}`);
  return digest;
}

/** Pushes a config and one layer, then an image manifest under `tag`; returns the manifest digest. */
export async function pushImage(base: string, repo: string, tag: string): Promise<{ digest: string; body: Buffer }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, n: Math.random() }));
  const layer = randomBytes(1024);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await pushBlob(base, repo, config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: await pushBlob(base, repo, layer), size: layer.length }],
  };
  const body = Buffer.from(JSON.stringify(manifest, null, 2));
  const res = await v2fetch(`${base}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    body: asBody(body),
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  if (res.status !== 201) throw new Error(`push manifest: ${res.status} ${await res.text()}`);
  return { digest: sha256(body), body };
}

export async function getBytes(url: string, init?: RequestInit): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const res = await v2fetch(url, init);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}
