// Cosign signatures as cosign writes them, made in the test with node:crypto: the simple-
// signing payload naming the digest, a config whose rootfs lists the payload, and the
// payload as the one layer with its signature in the dev.cosignproject.cosign/signature
// annotation; pushed under the tag sha256-<hex>.sig (cosign's default) or as an OCI 1.1
// referrer with the image as its subject.
import { sign, type KeyObject } from 'node:crypto';
import { asBody, pushBlob, sha256, v2fetch } from './v2client.js';

export function simpleSigningPayload(digest: string, reference: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: { identity: { 'docker-reference': reference }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' },
      optional: null,
    }),
  );
}

export function cosignSignature(privateKey: KeyObject, payload: Buffer): string {
  return sign(privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256', payload, privateKey).toString('base64');
}

export interface SignOptions {
  /** 'tag': sha256-<hex>.sig; 'referrer': a manifest with the image as its subject. */
  mode?: 'tag' | 'referrer';
  /** The digest the payload names (default: the image's), to forge a signature for another image. */
  payloadDigest?: string;
  /** Headers for the pushes (default: the test admin's Basic credentials). */
  headers?: Record<string, string>;
}

/** Signs `digest` in `repo` with the key and pushes the signature; returns the signature manifest's digest. */
export async function pushCosignSignature(base: string, repo: string, digest: string, privateKey: KeyObject, opts: SignOptions = {}): Promise<string> {
  const payload = simpleSigningPayload(opts.payloadDigest ?? digest, `${new URL(base).host}/${repo}`);
  const payloadDigest = await pushBlob(base, repo, payload);
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: [payloadDigest] },
      config: {},
    }),
  );
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: await pushBlob(base, repo, config) },
    layers: [
      {
        mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
        size: payload.length,
        digest: payloadDigest,
        annotations: { 'dev.cosignproject.cosign/signature': cosignSignature(privateKey, payload) },
      },
    ],
  };
  if (opts.mode === 'referrer') {
    manifest.artifactType = 'application/vnd.dev.cosign.artifact.sig.v1+json';
    manifest.subject = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 1 };
  }
  const body = Buffer.from(JSON.stringify(manifest));
  const reference = opts.mode === 'referrer' ? sha256(body) : `${digest.replace(':', '-')}.sig`;
  const res = await v2fetch(`${base}/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    body: asBody(body),
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', ...opts.headers },
  });
  if (res.status !== 201) throw new Error(`push signature: ${res.status} ${await res.text()}`);
  return sha256(body);
}
