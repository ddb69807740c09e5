import assert from 'node:assert/strict';
import { assertKey, blobKey, uploadChunkKey, uploadIdOfKey, uploadPrefix } from '../../server/storage/keys.js';

const id = '0b7a2e1c-4f5d-4c3e-9a8b-123456789abc';

describe('storage key layout', () => {
  const table: Array<[string, string]> = [
    [blobKey({ algorithm: 'sha256', hex: `ab${'c'.repeat(62)}` }), `blobs/sha256/ab/ab${'c'.repeat(62)}`],
    [blobKey({ algorithm: 'sha512', hex: `01${'f'.repeat(126)}` }), `blobs/sha512/01/01${'f'.repeat(126)}`],
    [uploadPrefix(id), `uploads/${id}/`],
    [uploadChunkKey(id, 1048576, 'a1b2'), `uploads/${id}/1048576-a1b2`],
  ];
  for (const [got, want] of table) it(`lays out ${want}`, () => assert.equal(got, want));

  it('recovers the upload id of a chunk key', () => {
    assert.equal(uploadIdOfKey(uploadChunkKey(id, 0, 'x')), id);
    assert.equal(uploadIdOfKey('blobs/sha256/aa/aa'), undefined);
  });

  it('refuses keys that could leave the tree', () => {
    for (const k of ['../x', 'a/../b', '/abs', 'a//b', 'a/./b', '', 'A/b']) assert.throws(() => assertKey(k), /invalid storage key/, k);
    assert.throws(() => uploadPrefix('../../etc'), /not an upload id/);
    assert.throws(() => uploadChunkKey(id, -1, 'x'));
  });
});
