// A pass-through stream that hashes and counts what flows through it, so a body is
// digested while it streams to storage (never read twice, never buffered whole).
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { DigestAlgorithm } from './references.js';

export class HashingStream extends Transform {
  private readonly hash: Hash;
  bytes = 0;
  constructor(readonly algorithm: DigestAlgorithm = 'sha256') {
    super({ highWaterMark: 1 << 20 });
    this.hash = createHash(algorithm);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
  /** The hex digest; call once, after the stream ended. */
  hex(): string {
    return this.hash.digest('hex');
  }
}

export function digestOf(data: Buffer, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}
