// The registry on the S3 driver: a real S3-speaking server (s3rver) behind a real Berth,
// through the AWS SDK. Monolithic and chunked uploads (several chunks concatenated into
// one object), a cross-repository mount, ranged pulls and the purge of abandoned uploads.
import assert from 'node:assert/strict';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client, testBucket } from '../helpers/s3.js';
import { purgeUploads } from '../../server/registry/uploads.js';
import { S3BlobStore } from '../../server/storage/s3/s3BlobStore.js';
import { createProject } from '../helpers/api.js';
import { testDbKind } from '../helpers/database.js';
import { startTestRegistry, testAuthDeps, type TestRegistry } from '../helpers/inProcess.js';
import { asBody, getBytes, pushBlob, pushImage, randomBlob, v2fetch } from '../helpers/v2client.js';
import { createApp } from '../../server/http/app.js';
import { createLogger } from '../../server/log/logger.js';
import http from 'node:http';

describe(`registry on S3 (${testDbKind})`, function () {
  this.timeout(60_000);
  let client: S3Client;
  let r: TestRegistry;
  let store: S3BlobStore;

  before(async () => {
    const { endpoint, bucket } = await testBucket();
    client = s3Client(endpoint);
    store = new S3BlobStore(client, bucket, 'berth/');
    r = await startTestRegistry({ store: () => store });
    await createProject(r.url, 'site');
  });
  after(async () => {
    await r?.close();
    client?.destroy();
  });

  it('pushes and pulls an image, byte for byte', async () => {
    const img = await pushImage(r.url, 'site/app', 'v1');
    const got = await getBytes(`${r.url}/v2/site/app/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(img.body));
    const manifest = JSON.parse(img.body.toString());
    const layer = await getBytes(`${r.url}/v2/site/app/blobs/${manifest.layers[0].digest}`);
    assert.equal(layer.status, 200);
    assert.equal(layer.body.length, manifest.layers[0].size);
  });

  it('assembles a chunked upload of several chunks into one blob, and serves ranges of it', async () => {
    const { data, digest } = randomBlob(3 * 1024 * 1024 + 17);
    let location = (await v2fetch(`${r.url}/v2/site/chunked/blobs/uploads/`, { method: 'POST' })).headers.get('location')!;
    const size = 1024 * 1024;
    for (let start = 0; start < data.length; start += size) {
      const end = Math.min(data.length, start + size) - 1;
      const res = await v2fetch(`${r.url}${location}`, { method: 'PATCH', body: asBody(data.subarray(start, end + 1)), headers: { 'Content-Range': `${start}-${end}`, 'Content-Type': 'application/octet-stream' } });
      assert.equal(res.status, 202, await res.text());
      location = res.headers.get('location')!;
    }
    const done = await v2fetch(`${r.url}${location}${location.includes('?') ? '&' : '?'}digest=${digest}`, { method: 'PUT' });
    assert.equal(done.status, 201, await done.text());
    const whole = await getBytes(`${r.url}/v2/site/chunked/blobs/${digest}`);
    assert.ok(whole.body.equals(data));
    const part = await getBytes(`${r.url}/v2/site/chunked/blobs/${digest}`, { headers: { Range: 'bytes=1048570-1048580' } });
    assert.equal(part.status, 206);
    assert.ok(part.body.equals(data.subarray(1048570, 1048581)));
    // Mounted into another repository without a byte moving.
    const mount = await v2fetch(`${r.url}/v2/site/other/blobs/uploads/?mount=${digest}&from=site/chunked`, { method: 'POST' });
    assert.equal(mount.status, 201);
    const uploads = [];
    for await (const k of store.list('uploads/')) uploads.push(k);
    assert.deepEqual(uploads, [], 'chunks are gone once the blob is assembled');
  });

  it('redirects blob pulls to pre-signed URLs when told to, and only blob GETs', async () => {
    const app = createApp({ db: r.db, store, log: createLogger('silent'), auth: await testAuthDeps(r.db), redirectBlobs: true });
    const server = http.createServer(app.callback());
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const { data, digest } = randomBlob(200_000);
      await pushBlob(base, 'site/redirected', data);
      const res = await v2fetch(`${base}/v2/site/redirected/blobs/${digest}`, { redirect: 'manual' });
      assert.equal(res.status, 307);
      const location = res.headers.get('location')!;
      assert.match(location, /X-Amz-Signature=/);
      assert.equal(res.headers.get('docker-content-digest'), digest);
      // The client fetches from the store without Berth's credentials.
      const direct = await fetch(location);
      assert.equal(direct.status, 200);
      assert.ok(Buffer.from(await direct.arrayBuffer()).equals(data));
      const ranged = await fetch(location, { headers: { Range: 'bytes=10-19' } });
      assert.equal(ranged.status, 206);
      assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(10, 20)));
      // Followed the way clients do, the bytes arrive whole.
      assert.ok((await getBytes(`${base}/v2/site/redirected/blobs/${digest}`)).body.equals(data));
      const head = await v2fetch(`${base}/v2/site/redirected/blobs/${digest}`, { method: 'HEAD', redirect: 'manual' });
      assert.equal(head.status, 200, 'HEAD answers itself');
      const manifest = await v2fetch(`${base}/v2/site/app/manifests/v1`, { redirect: 'manual', headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(manifest.status, 200, 'manifests come from the database, never redirected');
      // Without the setting, the same store streams through Berth.
      assert.equal((await v2fetch(`${r.url}/v2/site/redirected/blobs/${digest}`, { redirect: 'manual' })).status, 200);
    } finally {
      await app.auditWriter.close();
      await app.pulls.close();
      await new Promise((done) => server.close(done));
    }
  });

  it('purges abandoned uploads from the bucket', async () => {
    const location = (await v2fetch(`${r.url}/v2/site/abandoned/blobs/uploads/`, { method: 'POST' })).headers.get('location')!;
    const res = await v2fetch(`${r.url}${location}`, { method: 'PATCH', body: asBody(Buffer.from('some bytes')), headers: { 'Content-Range': '0-9', 'Content-Type': 'application/octet-stream' } });
    assert.equal(res.status, 202);
    const before = [];
    for await (const k of store.list('uploads/')) before.push(k);
    assert.equal(before.length, 1);
    await purgeUploads({ db: r.db, store }, 0);
    const after = [];
    for await (const k of store.list('uploads/')) after.push(k);
    assert.deepEqual(after, []);
  });
});
