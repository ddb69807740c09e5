// The registry on the S3 driver: a real S3-speaking server (s3rver) behind a real Berth,
// through the AWS SDK. Monolithic and chunked uploads (chunks gathered and cut into the
// parts of one multipart upload), a cross-repository mount, ranged pulls, racing chunks,
// and the cancel and purge of abandoned uploads with their multipart uploads.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { claimMultipartId, findUpload } from '../../server/db/uploads.js';
import { s3Client, s3rverDirectory, testBucket } from '../helpers/s3.js';
import { purgeUploads } from '../../server/registry/uploads.js';
import { S3BlobStore } from '../../server/storage/s3/s3BlobStore.js';
import { blobKey } from '../../server/storage/keys.js';
import { parseDigest } from '../../server/lib/references.js';
import { collectGarbage } from '../../server/registry/gc.js';
import { createProject } from '../helpers/api.js';
import { startTestRegistry, testAuthDeps, type TestRegistry } from '../helpers/inProcess.js';
import { asBody, getBytes, pushBlob, pushImage, randomBlob, v2fetch } from '../helpers/v2client.js';
import { createApp } from '../../server/http/app.js';
import { createLogger } from '../../server/log/logger.js';
import http from 'node:http';

describe(`registry on S3`, function () {
  this.timeout(60_000);
  let client: S3Client;
  let r: TestRegistry;
  let store: S3BlobStore;
  let bucket = '';
  const MiB = 1024 * 1024;

  /** The parts s3rver holds for a multipart upload that is neither completed nor aborted. */
  const storedParts = (multipartId: string): string[] => {
    const dir = path.join(s3rverDirectory, bucket, '._S3rver_uploads', multipartId);
    return existsSync(dir) ? readdirSync(dir).filter((f) => /^\d+$/.test(f)) : [];
  };
  const sessionId = (location: string) => /uploads\/([0-9a-f-]{36})/.exec(location)![1];
  const patch = (location: string, data: Buffer, start: number) =>
    v2fetch(`${r.url}${location}`, {
      method: 'PATCH',
      body: asBody(data),
      headers: { 'Content-Range': `${start}-${start + data.length - 1}`, 'Content-Type': 'application/octet-stream' },
    });
  const startUpload = async (repo: string) => (await v2fetch(`${r.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' })).headers.get('location')!;
  const withDigest = (location: string, digest: string) => `${r.url}${location}${location.includes('?') ? '&' : '?'}digest=${digest}`;

  before(async () => {
    const made = await testBucket();
    const endpoint = made.endpoint;
    bucket = made.bucket;
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
      const res = await v2fetch(`${r.url}${location}`, {
        method: 'PATCH',
        body: asBody(data.subarray(start, end + 1)),
        headers: { 'Content-Range': `${start}-${end}`, 'Content-Type': 'application/octet-stream' },
      });
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
      const manifest = await v2fetch(`${base}/v2/site/app/manifests/v1`, {
        redirect: 'manual',
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      assert.equal(manifest.status, 200, 'manifests come from the database, never redirected');
      // Without the setting, the same store streams through Berth.
      assert.equal((await v2fetch(`${r.url}/v2/site/redirected/blobs/${digest}`, { redirect: 'manual' })).status, 200);
    } finally {
      await app.auditWriter.close();
      await app.pulls.close();
      await new Promise((done) => server.close(done));
    }
  });

  it('gathers small chunks into parts and cuts big ones, all into one multipart upload', async () => {
    const { data, digest } = randomBlob(3 * MiB + 3 * MiB + 23 * MiB + MiB + MiB / 2);
    let location = await startUpload('site/parts');
    const id = sessionId(location);
    const sizes = [3 * MiB, 3 * MiB, 23 * MiB, MiB];
    const states = [];
    let offset = 0;
    for (const size of sizes) {
      const res = await patch(location, data.subarray(offset, offset + size), offset);
      assert.equal(res.status, 202, await res.text());
      location = res.headers.get('location')!;
      offset += size;
      const row = (await findUpload(r.db, id))!;
      states.push({ parts: row.parts.map((p) => p.size / MiB), tail: (row.tail?.size ?? 0) / MiB });
    }
    assert.deepEqual(states, [
      { parts: [], tail: 3 }, // fewer bytes than S3's 5 MiB minimum part: kept as a tail
      { parts: [6], tail: 0 }, // the tail and the chunk make one part
      { parts: [6, 10, 10], tail: 3 }, // a big chunk is cut at 10 MiB
      { parts: [6, 10, 10], tail: 4 },
    ]);
    const row = (await findUpload(r.db, id))!;
    assert.equal(storedParts(row.multipart_id!).length, 3, 'the parts are in the store, not in Berth');
    const objects = [];
    for await (const k of store.list('uploads/')) objects.push(k);
    assert.deepEqual(objects, [row.tail!.key], 'no chunk is an object of its own; only the tail is');
    // The final chunk comes with the PUT; the tail and it become the last part.
    const done = await v2fetch(withDigest(location, digest), {
      method: 'PUT',
      body: asBody(data.subarray(offset)),
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    assert.equal(done.status, 201, await done.text());
    assert.deepEqual(storedParts(row.multipart_id!), [], 'the multipart upload was completed');
    assert.ok((await getBytes(`${r.url}/v2/site/parts/blobs/${digest}`)).body.equals(data));
    const left = [];
    for await (const k of store.list('uploads/')) left.push(k);
    assert.deepEqual(left, []);
  });

  it('keeps a session whose finish had the wrong digest, so the right one still completes it', async () => {
    const { data, digest } = randomBlob(7 * MiB);
    const wrong = randomBlob(10).digest;
    let location = await startUpload('site/retry');
    for (const [start, end] of [
      [0, 6 * MiB],
      [6 * MiB, 7 * MiB],
    ]) {
      const res = await patch(location, data.subarray(start, end), start);
      assert.equal(res.status, 202);
      location = res.headers.get('location')!;
    }
    const bad = await v2fetch(withDigest(location, wrong), { method: 'PUT' });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).errors[0].code, 'DIGEST_INVALID');
    const good = await v2fetch(withDigest(location, digest), { method: 'PUT' });
    assert.equal(good.status, 201, await good.text());
    assert.ok((await getBytes(`${r.url}/v2/site/retry/blobs/${digest}`)).body.equals(data));
  });

  it('lets one of two chunks racing for the same offset win, without the loser touching its parts', async () => {
    // Both start from the same tail (the first MiB), which the winner consumes.
    const head = randomBlob(MiB).data;
    const a = randomBlob(12 * MiB);
    const b = randomBlob(12 * MiB);
    const location = await startUpload('site/race');
    assert.equal((await patch(location, head, 0)).status, 202);
    const [ra, rb] = await Promise.all([patch(location, a.data, MiB), patch(location, b.data, MiB)]);
    const statuses = [ra.status, rb.status].sort();
    assert.deepEqual(statuses, [202, 416], `${await ra.text()} ${await rb.text()}`);
    const winner = ra.status === 202 ? a : b;
    const whole = Buffer.concat([head, winner.data]);
    const digest = `sha256:${createHash('sha256').update(whole).digest('hex')}`;
    const done = await v2fetch(withDigest((ra.status === 202 ? ra : rb).headers.get('location')!, digest), { method: 'PUT' });
    assert.equal(done.status, 201, await done.text());
    assert.ok((await getBytes(`${r.url}/v2/site/race/blobs/${digest}`)).body.equals(whole));
  });

  it('keeps the first multipart upload id recorded when two requests start one at once', async () => {
    const id = sessionId(await startUpload('site/claim'));
    let second: Promise<string | undefined> | undefined;
    await r.db.tx(async (q) => {
      assert.equal(await claimMultipartId(q, id, 'first'), 'first');
      // The second claim waits for this transaction's row lock, then must see its commit.
      second = claimMultipartId(r.db, id, 'second');
      await new Promise((done) => setTimeout(done, 200));
    });
    assert.equal(await second, 'first');
    assert.equal((await findUpload(r.db, id))!.multipart_id, 'first');
  });

  it('aborts the multipart upload of a cancelled session', async () => {
    const location = await startUpload('site/cancelled');
    assert.equal((await patch(location, randomBlob(6 * MiB).data, 0)).status, 202);
    const multipartId = (await findUpload(r.db, sessionId(location)))!.multipart_id!;
    assert.equal(storedParts(multipartId).length, 1);
    assert.equal((await v2fetch(`${r.url}${location}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual(storedParts(multipartId), []);
    assert.equal(existsSync(path.join(s3rverDirectory, bucket, '._S3rver_uploads', multipartId)), false);
  });

  it('purges abandoned uploads from the bucket, aborting their multipart uploads', async () => {
    const big = await startUpload('site/abandoned-big');
    assert.equal((await patch(big, randomBlob(5 * MiB + 1).data, 0)).status, 202);
    const multipartId = (await findUpload(r.db, sessionId(big)))!.multipart_id!;
    assert.equal(storedParts(multipartId).length, 1);
    const location = (await v2fetch(`${r.url}/v2/site/abandoned/blobs/uploads/`, { method: 'POST' })).headers.get('location')!;
    const res = await v2fetch(`${r.url}${location}`, {
      method: 'PATCH',
      body: asBody(Buffer.from('some bytes')),
      headers: { 'Content-Range': '0-9', 'Content-Type': 'application/octet-stream' },
    });
    assert.equal(res.status, 202);
    const before = [];
    for await (const k of store.list('uploads/')) before.push(k);
    assert.equal(before.length, 1, 'the small session has its tail');
    const purged = await purgeUploads({ db: r.db, store }, 0);
    assert.ok(purged.sessions >= 2);
    const after = [];
    for await (const k of store.list('uploads/')) after.push(k);
    assert.deepEqual(after, []);
    assert.equal(existsSync(path.join(s3rverDirectory, bucket, '._S3rver_uploads', multipartId)), false, 'the multipart upload is aborted');
  });

  it('garbage collection deletes unreferenced blobs from the bucket, and a push afterwards writes them again', async () => {
    // A blob of several parts (assembled, then moved under the blob row's lock) and an image.
    const big = randomBlob(6 * MiB);
    const location = await startUpload('site/gc');
    assert.equal((await patch(location, big.data.subarray(0, 5 * MiB), 0)).status, 202);
    const next = (await v2fetch(`${r.url}${location}`)).headers.get('location')!;
    assert.equal(
      (
        await v2fetch(withDigest(next, big.digest), {
          method: 'PUT',
          body: asBody(big.data.subarray(5 * MiB)),
          headers: { 'Content-Range': `${5 * MiB}-${6 * MiB - 1}` },
        })
      ).status,
      201,
    );
    const img = await pushImage(r.url, 'site/gc', 'v1');
    assert.equal((await v2fetch(`${r.url}/v2/site/gc/manifests/${img.digest}`, { method: 'DELETE' })).status, 202);
    const keyOf = (d: string) => blobKey(parseDigest(d)!);
    assert.ok(await store.stat(keyOf(big.digest)));
    const result = await collectGarbage({ db: r.db, store }, { reviewDelayMs: 0, deleteUntagged: false, dryRun: false, workers: 2 });
    assert.ok(result.blobs >= 3, `config, layer and the big blob go (${result.blobs})`);
    assert.equal(await store.stat(keyOf(big.digest)), undefined);
    const layer = (JSON.parse(img.body.toString()) as { layers: Array<{ digest: string }> }).layers[0].digest;
    assert.equal(await store.stat(keyOf(layer)), undefined);
    assert.equal(await pushBlob(r.url, 'site/gc', big.data), big.digest);
    assert.ok((await getBytes(`${r.url}/v2/site/gc/blobs/${big.digest}`)).body.equals(big.data));
  });
});
