// Verifying cosign signatures as cosign writes them (sigstore/cosign, "simple signing"): a
// signature is an OCI image manifest whose layers have the media type
// application/vnd.dev.cosign.simplesigning.v1+json; each layer's blob is the payload
//   {"critical": {"identity": {"docker-reference": …}, "image": {"docker-manifest-digest": "sha256:…"},
//                 "type": "cosign container image signature"}, "optional": …}
// and its annotation dev.cosignproject.cosign/signature is the base64 signature over the
// payload's exact bytes (ECDSA P-256 with SHA-256 in DER, Ed25519, or RSA PKCS#1 v1.5 with
// SHA-256). The manifest reaches the image either as an OCI 1.1 referrer (subject) or by
// the tag sha256-<hex>.sig.
import { createHash, verify, type KeyObject } from 'node:crypto';
import { assertDigest } from '../lib/references.js';
import type { BlobStore } from '../storage/blobStore.js';
import { blobKey } from '../storage/keys.js';

export const simpleSigningMediaType = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const signatureAnnotation = 'dev.cosignproject.cosign/signature';
const signatureType = 'cosign container image signature';
const maxPayloadBytes = 64 * 1024;

export interface TrustedKey {
  name: string;
  key: KeyObject;
}

async function readSmall(store: Pick<BlobStore, 'read'>, digest: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of await store.read(blobKey(assertDigest(digest)))) {
    size += (chunk as Buffer).length;
    if (size > maxPayloadBytes) throw new Error(`the signed payload is larger than ${maxPayloadBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function verifies(k: TrustedKey, payload: Buffer, signature: Buffer): boolean {
  // Ed25519 takes no digest; ECDSA and RSA sign a SHA-256 of the payload.
  const algorithm = k.key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  try {
    return verify(algorithm, payload, k.key, signature);
  } catch {
    return false;
  }
}

/**
 * Whether this manifest holds a signature of `signedDigest` that one of the keys verifies:
 * the key's name, or why not.
 */
export async function verifyCosignManifest(
  store: Pick<BlobStore, 'read'>,
  manifest: Buffer,
  signedDigest: string,
  keys: readonly TrustedKey[],
): Promise<{ key: string } | { why: string }> {
  let doc: { layers?: Array<{ mediaType?: string; digest?: string; annotations?: Record<string, string> }> };
  try {
    doc = JSON.parse(manifest.toString('utf8'));
  } catch {
    return { why: 'not a JSON manifest' };
  }
  const layers = (doc.layers ?? []).filter((l) => l.mediaType === simpleSigningMediaType);
  if (!layers.length) return { why: 'no cosign signature layer' };
  let why = 'no signature verified with a trusted key';
  for (const layer of layers) {
    const signature = layer.annotations?.[signatureAnnotation];
    if (!signature || typeof layer.digest !== 'string') {
      why = `a signature layer without the ${signatureAnnotation} annotation`;
      continue;
    }
    let payload: Buffer;
    try {
      payload = await readSmall(store, layer.digest);
    } catch (err) {
      why = `the signed payload ${layer.digest} cannot be read: ${(err as Error).message}`;
      continue;
    }
    if (`sha256:${createHash('sha256').update(payload).digest('hex')}` !== layer.digest) {
      why = `the signed payload does not match its digest ${layer.digest}`;
      continue;
    }
    let critical: { type?: unknown; image?: { 'docker-manifest-digest'?: unknown } } | undefined;
    try {
      critical = (JSON.parse(payload.toString('utf8')) as { critical?: typeof critical }).critical;
    } catch {
      why = 'the signed payload is not JSON';
      continue;
    }
    if (critical?.type !== signatureType) {
      why = `the signed payload is not a "${signatureType}"`;
      continue;
    }
    if (critical.image?.['docker-manifest-digest'] !== signedDigest) {
      why = `the signature is for ${String(critical.image?.['docker-manifest-digest']).slice(0, 80)}, not ${signedDigest}`;
      continue;
    }
    const bytes = Buffer.from(signature, 'base64');
    const trusted = keys.find((k) => verifies(k, payload, bytes));
    if (trusted) return { key: trusted.name };
    why = `the signature of ${signedDigest} verifies with none of the project's ${keys.length} trusted key(s)`;
  }
  return { why };
}
