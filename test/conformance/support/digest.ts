// Content digests as the distribution-spec writes them: "<algorithm>:<lowercase hex>".
import { createHash } from 'node:crypto';

export function sha256(content: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

export function sha512(content: Uint8Array | string): string {
  return `sha512:${createHash('sha512').update(content).digest('hex')}`;
}

/** sha256 of zero bytes: the digest of an empty blob. */
export const emptySha256 = sha256(new Uint8Array(0));

/** The well-known digest of the OCI empty descriptor's content, `{}`. */
export const emptyJsonDigest = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
