import { createProject, admin, basic } from '../test/helpers/api.js';
import { pushBlob } from './lib/blobs.js';
import { authorizeOrigin } from './lib/http.js';
import { randomBytes, createHash } from 'node:crypto';
const url = 'http://127.0.0.1:47004';
await createProject(url, 'bench');
authorizeOrigin(url, basic(admin));
const data = randomBytes(64 * 1024 * 1024);
const t = Date.now();
for (let i = 0; i < 8; i++) {
  data.writeUInt32BE(i, 0);
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const views = Array.from({ length: 64 }, (_, k) => data.subarray(k * 1024 * 1024, (k + 1) * 1024 * 1024));
  await pushBlob(url, 'bench/blobs', digest, views);
}
console.log('pushed 512 MiB in', Date.now() - t, 'ms');
process.exit(0);
