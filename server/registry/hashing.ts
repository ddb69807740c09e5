// A pass-through stream that hashes and counts what flows through it, so a body is
// digested while it streams to storage (never read twice, never buffered whole).
import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DigestAlgorithm } from '../lib/references.js';

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

/**
 * Pipes `source` into `dest` and hashes and counts the chunks on the way. The hash listens
 * to the same 'data' events the pipe does instead of being a Transform between them, which
 * saves a stream stage (its buffering, callbacks and backpressure) per socket read.
 */
export async function pipeHashed(source: Readable, dest: Writable, algorithm: DigestAlgorithm = 'sha256'): Promise<{ hex: string; bytes: number }> {
  const hash = createHash(algorithm);
  let bytes = 0;
  // pipeline() attaches its listener synchronously and the flow starts on a later tick, so
  // this listener, added in the same tick, sees every chunk the destination is given.
  const piped = pipeline(source, dest);
  source.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  await piped;
  return { hex: hash.digest('hex'), bytes };
}

export function digestOf(data: Buffer, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}
