import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FsBlobStore } from '../../server/storage/fs/fsBlobStore.js';
import { describeBlobStore } from './blobStore.suite.js';

describeBlobStore('fs', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-fs-'));
  return { store: new FsBlobStore(dir), dispose: () => rm(dir, { recursive: true, force: true }) };
});
