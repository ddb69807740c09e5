// Project storage quotas: checked when a blob upload finishes (and on mounts), again when a
// manifest is pushed, atomically under concurrency, exact after deletes.
import assert from 'node:assert/strict';
import { admin, basic } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { asBody, randomBlob, v2fetch } from '../helpers/v2client.js';

const auth = { Authorization: basic(admin), 'Content-Type': 'application/json' };

describe(`quotas`, function () {
  this.timeout(60_000);
  let r: TestRegistry;
  before(async () => (r = await startTestRegistry()));
  after(async () => r?.close());

  async function project(name: string, limit: number): Promise<number> {
    const res = await fetch(`${r.url}/api/v2.0/projects`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ project_name: name, storage_limit: limit }),
    });
    assert.equal(res.status, 201);
    return Number(res.headers.get('location')!.split('/').pop());
  }
  const usage = async (id: number) =>
    (await (await fetch(`${r.url}/api/v2.0/quotas/${id}`, { headers: auth })).json()) as { hard: { storage: number }; used: { storage: number } };
  const push = (repo: string, blob: { data: Buffer; digest: string }) =>
    v2fetch(`${r.url}/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, { method: 'POST', body: asBody(blob.data) });

  it('refuses a blob past the limit, saying by how much, and counts a blob once per project', async () => {
    const id = await project('q1', 1000);
    const a = randomBlob(600);
    assert.equal((await push('q1/one', a)).status, 201);
    assert.equal((await push('q1/two', a)).status, 201, 'the same blob in another repository costs nothing more');
    assert.equal((await usage(id)).used.storage, 600);
    const b = randomBlob(500);
    const refused = await push('q1/one', b);
    assert.equal(refused.status, 403);
    const err = (await refused.json()).errors[0];
    assert.equal(err.code, 'DENIED');
    assert.match(err.message, /^quota exceeded: adding 500 bytes to project q1 \(using 600 bytes\) would exceed its limit of 1000 bytes by 100 bytes$/);
    assert.equal((await v2fetch(`${r.url}/v2/q1/one/blobs/${b.digest}`)).status, 404, 'nothing was linked');
    assert.equal((await usage(id)).used.storage, 600);
  });

  it('lets exactly one of two concurrent pushes take the last bytes', async () => {
    const id = await project('q2', 1000);
    const results = await Promise.all([push('q2/a', randomBlob(700)), push('q2/b', randomBlob(700))]);
    assert.deepEqual(results.map((x) => x.status).sort(), [201, 403]);
    assert.equal((await usage(id)).used.storage, 700);
  });

  it('applies to mounts too, and is exact again after deletes', async () => {
    const id = await project('q3', 1000);
    const other = await project('q3src', -1);
    const blob = randomBlob(800);
    assert.equal((await push('q3src/x', blob)).status, 201);
    assert.equal((await usage(other)).used.storage, 800);
    assert.equal((await v2fetch(`${r.url}/v2/q3/m/blobs/uploads/?mount=${blob.digest}&from=q3src/x`, { method: 'POST' })).status, 201);
    assert.equal((await usage(id)).used.storage, 800);
    const second = randomBlob(300);
    assert.equal(
      (await v2fetch(`${r.url}/v2/q3/n/blobs/uploads/?mount=${second.digest}&from=q3src/x`, { method: 'POST' })).status,
      202,
      'nothing to mount: an upload',
    );
    assert.equal((await push('q3/n', second)).status, 403);
    assert.equal((await v2fetch(`${r.url}/v2/q3/m/blobs/${blob.digest}`, { method: 'DELETE' })).status, 202);
    assert.equal((await usage(id)).used.storage, 0, 'usage is exact after the delete');
    assert.equal((await push('q3/n', second)).status, 201);
    assert.equal((await usage(id)).used.storage, 300);
  });

  it('refuses manifests while a lowered limit is exceeded; administrators set limits', async () => {
    const id = await project('q4', -1);
    const config = randomBlob(400);
    assert.equal((await push('q4/app', config)).status, 201);
    assert.equal(
      (await fetch(`${r.url}/api/v2.0/quotas/${id}`, { method: 'PUT', headers: auth, body: JSON.stringify({ hard: { storage: 100 } }) })).status,
      200,
    );
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: 400 },
      layers: [],
    });
    const put = await v2fetch(`${r.url}/v2/q4/app/manifests/v1`, {
      method: 'PUT',
      body: manifest,
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(put.status, 403);
    assert.match((await put.json()).errors[0].message, /quota exceeded/);
    const list = await fetch(`${r.url}/api/v2.0/quotas?page_size=100`, { headers: auth });
    assert.ok((await list.json()).some((q: { ref: { name: string }; hard: { storage: number } }) => q.ref.name === 'q4' && q.hard.storage === 100));
    assert.equal(
      (await fetch(`${r.url}/api/v2.0/quotas/${id}`, { method: 'PUT', headers: auth, body: JSON.stringify({ hard: { storage: -5 } }) })).status,
      400,
    );
  });

  it('recomputes usage from the blobs each project links, reporting the drift, and changing nothing on a dry run', async () => {
    const id = await project('qdrift', -1);
    const a = randomBlob(300);
    const b = randomBlob(200);
    assert.equal((await push('qdrift/one', a)).status, 201);
    assert.equal((await push('qdrift/two', b)).status, 201);
    // Usage that went wrong: a charge lost and a total off.
    await r.db.query(`DELETE FROM project_blobs WHERE digest = $1`, [b.digest]);
    await r.db.query(`UPDATE projects SET storage_used = 12345 WHERE id = $1`, [id]);
    const recompute = (dry: boolean) => fetch(`${r.url}/api/v2.0/quotas/recompute?dry_run=${dry}`, { method: 'POST', headers: auth });
    const dry = (await (await recompute(true)).json()) as { drift: Array<{ project: string; recorded: number; actual: number }>; fixed: boolean };
    assert.deepEqual(
      dry.drift.find((d) => d.project === 'qdrift'),
      { project: 'qdrift', recorded: 12345, actual: 500 },
    );
    assert.equal(dry.fixed, false);
    assert.equal((await usage(id)).used.storage, 12345, 'a dry run changes nothing');
    const real = (await (await recompute(false)).json()) as { drift: Array<{ project: string }>; fixed: boolean };
    assert.ok(real.drift.some((d) => d.project === 'qdrift'));
    assert.equal(real.fixed, true);
    assert.equal((await usage(id)).used.storage, 500);
    const again = (await (await recompute(false)).json()) as { drift: Array<{ project: string }> };
    assert.ok(!again.drift.some((d) => d.project === 'qdrift'), 'exact now');
    // The lost charge is back: unlinking that blob lowers usage by its size.
    const { rows } = await r.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM project_blobs WHERE digest = $1 AND project_id = $2`, [b.digest, id]);
    assert.equal(rows[0].n, 1);
    assert.equal((await fetch(`${r.url}/api/v2.0/quotas/recompute?dry_run=maybe`, { method: 'POST', headers: auth })).status, 400);
  });
});
