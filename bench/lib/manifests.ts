// Manifest GET by tag: the request every `docker pull` starts with and the one a busy
// registry serves most. A small image is pushed first, then many tiny concurrent GETs.
import { createHash, randomBytes } from 'node:crypto';
import { pushBlob } from './blobs.js';
import { expectStatus, HttpError, request } from './http.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Pushes a small image (config, a 4 KiB layer, the manifest by tag): what every `docker push` ends with. */
export async function pushSmallImage(base: string, repo: string, tag: string): Promise<void> {
  await seedImage(base, repo, tag, false);
}

/** Pushes config + one layer + an OCI image manifest under `tag`; returns the manifest URL. */
export async function seedImage(base: string, repo: string, tag: string, check = true): Promise<string> {
  const layer = randomBytes(4096);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [sha256(layer)] },
    }),
  );
  await pushBlob(base, repo, sha256(config), config);
  await pushBlob(base, repo, sha256(layer), layer);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
    }),
  );
  const url = `${base}/v2/${repo}/manifests/${tag}`;
  expectStatus('PUT', url, await request('PUT', url, { headers: { 'Content-Type': OCI_MANIFEST }, body: manifest }), 201);
  if (!check) return url;

  // A GET that returned the wrong thing fast would make the load numbers meaningless.
  const got = expectStatus('GET', url, await request('GET', url, { headers: { Accept: OCI_MANIFEST } }), 200);
  if (!got.body.equals(manifest) || got.headers['content-type'] !== OCI_MANIFEST) {
    throw new HttpError('GET', url, got, `expected the ${manifest.length}-byte manifest as ${OCI_MANIFEST}`);
  }
  if (got.headers['docker-content-digest'] !== sha256(manifest)) {
    throw new HttpError('GET', url, got, `expected Docker-Content-Digest ${sha256(manifest)}`);
  }
  return url;
}
