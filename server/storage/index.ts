// Blob store drivers by name. An unknown name fails at start listing the known ones.
import type { Config } from '../config/config.js';
import type { BlobStore } from './blobStore.js';
import { FsBlobStore } from './fs/fsBlobStore.js';

const drivers: Record<string, (config: Config) => BlobStore> = {
  fs: (config) => new FsBlobStore(config.storageDir),
};

export function createBlobStore(config: Config): BlobStore {
  const make = drivers[config.storage];
  if (!make) throw new Error(`BERTH_STORAGE=${config.storage}: unknown driver; known: ${Object.keys(drivers).join(', ')}`);
  return make(config);
}
