// Upload sessions against the real app, database and filesystem store.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { purgeUploads } from '../../server/registry/uploads.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { asBody, getBytes, randomBlob, sha256, v2fetch } from '../helpers/v2client.js';
import { createProject } from '../helpers/api.js';

async function start(r: TestRegistry, repo: string): Promise<string> {
  const res = await v2fetch(`${r.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(res.status, 202);
  return res.headers.get('location')!;
}

function patch(r: TestRegistry, location: string, data: Buffer, range?: string) {
  return v2fetch(`${r.url}${location}`, {
    method: 'PATCH',
    body: asBody(data),
    headers: { 'Content-Type': 'application/octet-stream', ...(range ? { 'Content-Range': range } : {}) },
  });
}

async function files(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true })).map(String);
  } catch {
    return [];
  }
}

describe(`upload sessions`, () => {
  let r: TestRegistry;
  before(async () => {
    r = await startTestRegistry();
    await createProject(r.url, 'it');
  });
  after(async () => r?.close());

  it('assembles a blob from three chunks and serves it', async () => {
    const { data, digest } = randomBlob(3 * 70_000 + 17);
    const loc = await start(r, 'it/chunks');
    const parts = [data.subarray(0, 70_000), data.subarray(70_000, 140_000), data.subarray(140_000)];
    let offset = 0;
    for (const p of parts) {
      const res = await patch(r, loc, p, `${offset}-${offset + p.length - 1}`);
      assert.equal(res.status, 202, await res.text());
      offset += p.length;
      assert.equal(res.headers.get('range'), `0-${offset - 1}`);
    }
    const status = await v2fetch(`${r.url}${loc}`);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), `0-${data.length - 1}`);
    const done = await v2fetch(`${r.url}${loc}?digest=${digest}`, { method: 'PUT' });
    assert.equal(done.status, 201, await done.text());
    const got = await getBytes(`${r.url}/v2/it/chunks/blobs/${digest}`);
    assert.ok(got.body.equals(data));
    assert.deepEqual(await files(path.join(r.dir, 'blobs/uploads')), [], 'chunks are removed after finishing');
  });

  it('answers a gap or an overlap with 416 and the current Range, and keeps the session', async () => {
    const loc = await start(r, 'it/gap');
    assert.equal((await patch(r, loc, Buffer.from('abcd'), '0-3')).status, 202);
    for (const range of ['6-9', '2-5']) {
      const res = await patch(r, loc, Buffer.from('efgh'), range);
      assert.equal(res.status, 416, range);
      assert.equal(res.headers.get('range'), '0-3');
      assert.equal((await res.json()).errors[0].code, 'BLOB_UPLOAD_INVALID');
    }
    assert.equal((await patch(r, loc, Buffer.from('efgh'), '4-7')).status, 202);
    const done = await v2fetch(`${r.url}${loc}?digest=${sha256('abcdefgh')}`, { method: 'PUT' });
    assert.equal(done.status, 201);
  });

  it('lets exactly one of two racing chunks at the same offset win, never mixing bytes', async () => {
    const loc = await start(r, 'it/race');
    const a = randomBlob(2_000_000).data;
    const b = randomBlob(2_000_000).data;
    const results = await Promise.all([patch(r, loc, a, `0-${a.length - 1}`), patch(r, loc, b, `0-${b.length - 1}`)]);
    const statuses = results.map((x) => x.status).sort();
    assert.deepEqual(statuses, [202, 416]);
    const winner = results[0].status === 202 ? a : b;
    const done = await v2fetch(`${r.url}${loc}?digest=${sha256(winner)}`, { method: 'PUT' });
    assert.equal(done.status, 201, await done.text());
  });

  it('refuses a wrong digest at finish, stores nothing, and keeps the session usable', async () => {
    const loc = await start(r, 'it/wrong');
    assert.equal((await patch(r, loc, Buffer.from('content'))).status, 202);
    const bad = await v2fetch(`${r.url}${loc}?digest=${sha256('other')}`, { method: 'PUT' });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).errors[0].code, 'DIGEST_INVALID');
    assert.equal((await v2fetch(`${r.url}/v2/it/wrong/blobs/${sha256('other')}`)).status, 404);
    const good = await v2fetch(`${r.url}${loc}?digest=${sha256('content')}`, { method: 'PUT' });
    assert.equal(good.status, 201);
  });

  it('takes a final chunk in the PUT, and sha512 digests', async () => {
    const loc = await start(r, 'it/final');
    assert.equal((await patch(r, loc, Buffer.from('hello '))).status, 202);
    const { createHash } = await import('node:crypto');
    const d512 = `sha512:${createHash('sha512').update('hello world').digest('hex')}`;
    const done = await v2fetch(`${r.url}${loc}?digest=${d512}`, { method: 'PUT', body: 'world', headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(done.status, 201, await done.text());
    assert.equal((await getBytes(`${r.url}/v2/it/final/blobs/${d512}`)).body.toString(), 'hello world');
  });

  it('cancels a session with DELETE', async () => {
    const loc = await start(r, 'it/cancel');
    await patch(r, loc, Buffer.from('bytes'));
    assert.equal((await v2fetch(`${r.url}${loc}`, { method: 'DELETE' })).status, 204);
    const gone = await v2fetch(`${r.url}${loc}`);
    assert.equal(gone.status, 404);
    assert.equal((await gone.json()).errors[0].code, 'BLOB_UPLOAD_UNKNOWN');
    const id = loc.split('/').pop()!;
    assert.deepEqual(await files(path.join(r.dir, 'blobs/uploads', id)), []);
  });

  it('keeps a session to its repository', async () => {
    const loc = await start(r, 'it/owner');
    const id = loc.split('/').pop();
    const res = await v2fetch(`${r.url}/v2/it/other/blobs/uploads/${id}`);
    assert.equal(res.status, 404);
    assert.equal((await res.json()).errors[0].code, 'BLOB_UPLOAD_UNKNOWN');
  });

  it('purges idle sessions and chunks whose session is gone', async () => {
    const stale = await start(r, 'it/purge');
    await patch(r, stale, Buffer.from('old bytes'));
    const fresh = await start(r, 'it/purge');
    await patch(r, fresh, Buffer.from('new bytes'));
    const staleId = stale.split('/').pop()!;
    const freshId = fresh.split('/').pop()!;
    await r.db.query(`UPDATE uploads SET updated_at = now() - interval '2 days' WHERE id = $1`, [staleId]);
    // A chunk left by a process killed before it could record it: no row points at it.
    const orphan = '11111111-2222-4333-8444-555555555555';
    const w = await r.store.writer(`uploads/${orphan}/0-dead`);
    w.stream.end(Buffer.from('orphan'));
    await w.commit();

    const result = await purgeUploads({ db: r.db, store: r.store }, 24 * 3600 * 1000);
    assert.ok(result.sessions >= 1 && result.orphans >= 1, JSON.stringify(result));
    assert.equal((await v2fetch(`${r.url}${stale}`)).status, 404);
    assert.equal((await v2fetch(`${r.url}${fresh}`)).status, 204, 'a live session survives the purge');
    const left = await files(path.join(r.dir, 'blobs/uploads'));
    assert.ok(!left.some((f) => f.startsWith(staleId) || f.startsWith(orphan)), left.join(', '));
    assert.ok(left.some((f) => f.startsWith(freshId)));
  });
});
