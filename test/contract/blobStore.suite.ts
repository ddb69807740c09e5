// The contract every BlobStore driver fulfils. A driver's spec file calls
// describeBlobStore(name, makeStore); the suite fails if any key is left behind.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../../server/storage/blobStore.js';
import { ObjectNotFoundError } from '../../server/storage/blobStore.js';

async function put(store: BlobStore, key: string, data: Buffer | Buffer[]): Promise<void> {
  const w = await store.writer(key);
  await pipeline(Readable.from(Array.isArray(data) ? data : [data]), w.stream);
  await w.commit();
}

async function get(store: BlobStore, key: string, range?: { start: number; end: number }): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of await store.read(key, range)) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function keys(store: BlobStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const k of store.list(prefix)) out.push(k);
  return out.sort();
}

export function describeBlobStore(name: string, makeStore: () => Promise<{ store: BlobStore; dispose(): Promise<void> }>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore;
    let dispose: () => Promise<void>;
    beforeEach(async () => ({ store, dispose } = await makeStore()));
    afterEach(async () => {
      const left = [...(await keys(store, 'blobs/')), ...(await keys(store, 'uploads/'))];
      await dispose();
      assert.deepEqual(left, [], 'the test left keys behind');
    });

    it('stats, reads and deletes a committed object', async () => {
      const data = randomBytes(300_000);
      await put(store, 'blobs/sha256/aa/aa1', [data.subarray(0, 100), data.subarray(100)]);
      assert.deepEqual(await store.stat('blobs/sha256/aa/aa1'), { size: data.length });
      assert.ok((await get(store, 'blobs/sha256/aa/aa1')).equals(data));
      await store.delete('blobs/sha256/aa/aa1');
      assert.equal(await store.stat('blobs/sha256/aa/aa1'), undefined);
      await store.delete('blobs/sha256/aa/aa1'); // absent is fine
    });

    it('reads byte ranges (inclusive end)', async () => {
      const data = Buffer.from('0123456789');
      await put(store, 'blobs/r', data);
      assert.equal((await get(store, 'blobs/r', { start: 2, end: 4 })).toString(), '234');
      assert.equal((await get(store, 'blobs/r', { start: 9, end: 9 })).toString(), '9');
      await store.delete('blobs/r');
    });

    it('stores empty objects', async () => {
      await put(store, 'blobs/empty', Buffer.alloc(0));
      assert.deepEqual(await store.stat('blobs/empty'), { size: 0 });
      assert.equal((await get(store, 'blobs/empty')).length, 0);
      await store.delete('blobs/empty');
    });

    it('shows nothing before commit, and nothing after cancel', async () => {
      const w = await store.writer('blobs/pending');
      w.stream.write(Buffer.from('partial'));
      assert.equal(await store.stat('blobs/pending'), undefined);
      assert.deepEqual(await keys(store, 'blobs/'), []);
      await w.cancel();
      await w.cancel(); // twice is fine
      assert.equal(await store.stat('blobs/pending'), undefined);
    });

    it('makes cancel a no-op after commit', async () => {
      const w = await store.writer('blobs/kept');
      await pipeline(Readable.from([Buffer.from('x')]), w.stream);
      await w.commit();
      await w.cancel();
      assert.deepEqual(await store.stat('blobs/kept'), { size: 1 });
      await store.delete('blobs/kept');
    });

    it('replaces an object atomically on a second commit', async () => {
      await put(store, 'blobs/same', Buffer.from('one'));
      await put(store, 'blobs/same', Buffer.from('two!'));
      assert.equal((await get(store, 'blobs/same')).toString(), 'two!');
      await store.delete('blobs/same');
    });

    it('moves objects between keys', async () => {
      await put(store, 'uploads/u/1', Buffer.from('moved'));
      await store.move('uploads/u/1', 'blobs/sha256/mv/mv');
      assert.equal(await store.stat('uploads/u/1'), undefined);
      assert.equal((await get(store, 'blobs/sha256/mv/mv')).toString(), 'moved');
      await assert.rejects(store.move('uploads/u/none', 'blobs/x'), ObjectNotFoundError);
      await store.delete('blobs/sha256/mv/mv');
    });

    it('throws ObjectNotFoundError reading an absent key', async () => {
      await assert.rejects(store.read('blobs/nope'), ObjectNotFoundError);
    });

    it('lists recursively under a prefix and deletes a prefix', async () => {
      await put(store, 'uploads/a/1', Buffer.from('1'));
      await put(store, 'uploads/a/2', Buffer.from('2'));
      await put(store, 'uploads/b/1', Buffer.from('3'));
      assert.deepEqual(await keys(store, 'uploads/'), ['uploads/a/1', 'uploads/a/2', 'uploads/b/1']);
      assert.deepEqual(await keys(store, 'uploads/a/'), ['uploads/a/1', 'uploads/a/2']);
      await store.deletePrefix('uploads/a/');
      assert.deepEqual(await keys(store, 'uploads/'), ['uploads/b/1']);
      await store.deletePrefix('uploads/b/');
      await store.deletePrefix('uploads/never/');
      assert.deepEqual(await keys(store, 'nothing/'), []);
    });

    it('refuses keys that leave the tree', async () => {
      await assert.rejects(store.stat('../outside'));
      await assert.rejects(store.writer('blobs/../../x'));
    });

    it('passes its health check', async () => {
      await store.check();
    });
  });
}
