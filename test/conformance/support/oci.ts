// Push helpers for the Berth-specific tests: each one asserts its own requests succeeded, so
// a broken setup step fails where it happened rather than as a confusing later 404.
import { randomBytes } from 'node:crypto';
import type { OciClient, RegistryResponse } from './client.js';
import { sha256 } from './digest.js';
import { expectStatus } from './expect.js';
import { emptyJSONBlob, makeConfig, mediaTypes, type TestBlob } from './fixtures.js';

/** POST a session, then PUT ?digest= with the whole blob: the suite's standard upload. */
export async function uploadBlob(c: OciClient, content: Uint8Array, digest = sha256(content)): Promise<string> {
  const post = await c.request('POST', '/v2/<name>/blobs/uploads/');
  expectStatus(post, 202);
  const put = await c.request('PUT', post.relativeLocation(), {
    query: { digest },
    headers: { 'content-type': 'application/octet-stream' },
    body: content,
  });
  expectStatus(put, 201);
  return digest;
}

export async function putManifest(c: OciClient, reference: string, content: Uint8Array | string, mediaType: string): Promise<RegistryResponse> {
  return c.request('PUT', '/v2/<name>/manifests/<reference>', {
    reference,
    headers: { 'content-type': mediaType },
    body: content,
  });
}

export async function pushManifest(c: OciClient, reference: string, content: Uint8Array | string, mediaType: string): Promise<string> {
  const res = await putManifest(c, reference, content, mediaType);
  expectStatus(res, 201);
  return sha256(typeof content === 'string' ? Buffer.from(content) : content);
}

export interface PushedImage {
  config: TestBlob;
  layer: TestBlob;
  manifest: Buffer;
  digest: string;
  mediaType: string;
}

/** Compact OCI image manifest JSON for a config and layer (neither uploaded). */
export function ociImageManifest(config: TestBlob, layer: TestBlob, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: mediaTypes.ociConfig, digest: config.digest, size: config.content.length },
      layers: [{ mediaType: mediaTypes.ociLayerTarGzip, digest: layer.digest, size: layer.content.length }],
      ...extra,
    }),
  );
}

export function randomBlob(size = 64): TestBlob {
  const content = randomBytes(size);
  return { content, contentLength: String(size), digest: sha256(content) };
}

/** Uploads a fresh config and layer and pushes an OCI image manifest referencing them. */
export async function pushImage(c: OciClient, reference?: string, extra: Record<string, unknown> = {}): Promise<PushedImage> {
  const config = makeConfig();
  const layer = randomBlob();
  await uploadBlob(c, config.content);
  await uploadBlob(c, layer.content);
  const manifest = ociImageManifest(config, layer, extra);
  const digest = await pushManifest(c, reference ?? sha256(manifest), manifest, mediaTypes.ociManifest);
  return { config, layer, manifest, digest, mediaType: mediaTypes.ociManifest };
}

/** An artifact manifest: empty config `{}`, one layer, artifactType and optional subject. */
export async function pushArtifact(
  c: OciClient,
  opts: {
    artifactType?: string;
    configMediaType?: string;
    subject?: { digest: string; size: number; mediaType: string };
    annotations?: Record<string, string>;
  },
): Promise<{ digest: string; manifest: Buffer }> {
  await uploadBlob(c, emptyJSONBlob);
  const layer = randomBlob(32);
  await uploadBlob(c, layer.content);
  let config: Record<string, unknown> = { mediaType: mediaTypes.ociEmpty, digest: sha256(emptyJSONBlob), size: emptyJSONBlob.length };
  if (opts.configMediaType) {
    // artifactType carried by the config's media type instead of the artifactType field
    const cfg = randomBlob(16);
    await uploadBlob(c, cfg.content);
    config = { mediaType: opts.configMediaType, digest: cfg.digest, size: cfg.content.length };
  }
  const m: Record<string, unknown> = { schemaVersion: 2, mediaType: mediaTypes.ociManifest };
  if (opts.artifactType) m.artifactType = opts.artifactType;
  m.config = config;
  m.layers = [{ mediaType: 'application/octet-stream', digest: layer.digest, size: layer.content.length }];
  if (opts.subject) m.subject = opts.subject;
  if (opts.annotations) m.annotations = opts.annotations;
  const manifest = Buffer.from(JSON.stringify(m));
  const digest = await pushManifest(c, sha256(manifest), manifest, mediaTypes.ociManifest);
  return { digest, manifest };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return out;
}

/** Parses `Link: <url>; rel="next"`; undefined when there is no next link. */
export function nextLink(res: RegistryResponse): URL | undefined {
  const link = res.header('link');
  if (!link) return undefined;
  const m = /^\s*<([^>]+)>\s*;\s*rel="?next"?\s*$/.exec(link);
  if (!m) throw new Error(`malformed Link header: ${res.describe()}`);
  return new URL(m[1], 'http://relative.invalid');
}
