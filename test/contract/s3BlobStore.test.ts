// The BlobStore contract on the S3 driver, against a real S3-speaking server (s3rver,
// started here) through the real AWS SDK v3; plus what only S3 has: multipart writes of
// objects larger than a part, and the temporary keys left after commit and cancel.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client, testBucket } from '../helpers/s3.js';
import { S3BlobStore, tmpPrefix } from '../../server/storage/s3/s3BlobStore.js';
import { describeBlobStore } from './blobStore.suite.js';

let client: S3Client | undefined;
let bucket = '';
let n = 0;

// One bucket on the test process's s3rver (test/helpers/s3.ts) for the whole file.
async function s3(): Promise<S3Client> {
  if (client) return client;
  const made = await testBucket();
  bucket = made.bucket;
  client = s3Client(made.endpoint);
  return client;
}

after(() => client?.destroy());

// Each test gets its own prefix in the one bucket, as servers sharing a bucket would.
describeBlobStore('s3 (s3rver)', async () => {
  const c = await s3();
  return { store: new S3BlobStore(c, bucket, `t${++n}/`), dispose: async () => undefined };
});

describe('S3 driver specifics (s3rver)', function () {
  this.timeout(60_000);

  it('streams an object larger than a part through a multipart upload and reads it back', async () => {
    const store = new S3BlobStore(await s3(), bucket, 'multi/');
    const part = randomBytes(1024 * 1024);
    const hash = createHash('sha256');
    const chunks = function* () {
      for (let i = 0; i < 40; i++) {
        const c = Buffer.concat([Buffer.from([i]), part.subarray(1)]);
        hash.update(c);
        yield c;
      }
    };
    const w = await store.writer('blobs/big');
    await pipeline(Readable.from(chunks()), w.stream);
    assert.deepEqual(await w.commit(), { size: 40 * 1024 * 1024 });
    const back = createHash('sha256');
    for await (const c of await store.read('blobs/big')) back.update(c as Buffer);
    assert.equal(back.digest('hex'), hash.digest('hex'));
    const tail = [];
    for await (const c of await store.read('blobs/big', { start: 40 * 1024 * 1024 - 3, end: 40 * 1024 * 1024 - 1 })) tail.push(c as Buffer);
    assert.deepEqual(Buffer.concat(tail), part.subarray(part.length - 3));
    await store.delete('blobs/big');
  });

  it('leaves no temporary object after a commit or a cancel', async () => {
    const store = new S3BlobStore(await s3(), bucket, 'tmpcheck/');
    const kept = await store.writer('blobs/kept');
    await pipeline(Readable.from([Buffer.from('kept')]), kept.stream);
    await kept.commit();
    const dropped = await store.writer('blobs/dropped');
    dropped.stream.end(Buffer.from('dropped'));
    await new Promise((r) => setTimeout(r, 200));
    await dropped.cancel();
    const tmp = [];
    for await (const k of store.list(tmpPrefix)) tmp.push(k);
    assert.deepEqual(tmp, []);
    assert.equal(await store.stat('blobs/dropped'), undefined);
    await store.delete('blobs/kept');
  });

  it('purges what a writer whose process died left under tmp/, once old enough', async () => {
    const store = new S3BlobStore(await s3(), bucket, 'crashed/');
    const w = await store.writer('blobs/never-committed');
    w.stream.end(Buffer.from('orphaned bytes'));
    const tmp = async () => {
      const keys = [];
      for await (const k of store.list(tmpPrefix)) keys.push(k);
      return keys;
    };
    for (let i = 0; i < 50 && !(await tmp()).length; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await tmp()).length, 1);
    assert.equal(await store.purgeTemporary(3_600_000), 0, 'a recent one may still be committed');
    assert.equal(await store.purgeTemporary(0), 1);
    assert.deepEqual(await tmp(), []);
    assert.equal(await store.stat('blobs/never-committed'), undefined);
  });

  it('assembles an object from parts stored out of order, aborts an upload (twice is fine), and puts a small object whole', async () => {
    const store = new S3BlobStore(await s3(), bucket, 'parts/');
    const first = randomBytes(store.parts.minPartSize);
    const last = randomBytes(1000);
    const id = await store.parts.begin('uploads/joined');
    const p2 = await store.parts.putPart('uploads/joined', id, 7, last);
    const p1 = await store.parts.putPart('uploads/joined', id, 3, first);
    assert.deepEqual([p1.size, p2.size], [first.length, last.length]);
    assert.equal(await store.stat('uploads/joined'), undefined, 'nothing is visible before completion');
    await store.parts.complete('uploads/joined', id, [p1, p2]);
    const back = [];
    for await (const c of await store.read('uploads/joined')) back.push(c as Buffer);
    assert.ok(Buffer.concat(back).equals(Buffer.concat([first, last])));

    const dropped = await store.parts.begin('uploads/dropped');
    await store.parts.putPart('uploads/dropped', dropped, 1, last);
    await store.parts.abort('uploads/dropped', dropped);
    await store.parts.abort('uploads/dropped', dropped);
    await assert.rejects(store.parts.complete('uploads/dropped', dropped, [{ number: 1, etag: 'x', size: 1000 }]));
    assert.equal(await store.stat('uploads/dropped'), undefined);

    // Bytes too few for a part are put whole, and visible at once.
    await store.parts.putSmall('uploads/small', last);
    const small = [];
    for await (const c of await store.read('uploads/small')) small.push(c as Buffer);
    assert.ok(Buffer.concat(small).equals(last));
  });

  it('fails its health check on a missing bucket', async () => {
    await assert.rejects(new S3BlobStore(await s3(), 'no-such-bucket').check());
    await new S3BlobStore(await s3(), bucket).check();
  });
});
