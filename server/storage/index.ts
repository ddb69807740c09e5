// Blob store drivers by name. An unknown name fails at start listing the known ones. The
// S3 driver (and the AWS SDK, some 15 MiB of resident code per process) is loaded only
// when it is the one chosen.
import type { Config } from '../config/config.js';
import type { BlobStore } from './blobStore.js';
import { FsBlobStore } from './fs/fsBlobStore.js';

const drivers: Record<string, (config: Config) => Promise<BlobStore>> = {
  fs: async (config) => new FsBlobStore(config.storageDir),
  s3: async (config) => {
    const [{ S3Client }, { S3BlobStore }] = await Promise.all([import('@aws-sdk/client-s3'), import('./s3/s3BlobStore.js')]);
    const s = config.s3!;
    // Credentials and retries come from the SDK's defaults (the AWS chain, 3 attempts).
    // Checksums only where an operation requires them: the SDK's default CRC32 on every
    // upload is refused by some S3-compatible stores, and costs about a quarter of the
    // SDK's CPU per byte written (measured against s3rver). Blobs are verified by their
    // digests, and every part and object Berth sends carries SigV4's signed SHA-256 of its
    // body (the SDK signs buffered bodies), which the store checks.
    const client = new S3Client({
      region: s.region,
      endpoint: s.endpoint,
      forcePathStyle: s.forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return new S3BlobStore(client, s.bucket, s.prefix);
  },
};

export async function createBlobStore(config: Config): Promise<BlobStore> {
  const make = drivers[config.storage];
  if (!make) throw new Error(`BERTH_STORAGE=${config.storage}: unknown driver; known: ${Object.keys(drivers).join(', ')}`);
  return make(config);
}
