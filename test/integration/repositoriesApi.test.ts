// Harbor's repository and artifact endpoints over what was pushed through /v2.
import assert from 'node:assert/strict';
import { addMember, admin, basic, createProject, createUser } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { asBody, pushImage, sha256, v2fetch } from '../helpers/v2client.js';

const password = 'Passw0rd-Test';
const as = (username: string) => ({ Authorization: basic({ username, password }) });
const adminAuth = { Authorization: basic(admin) };

describe(`repositories and artifacts API`, () => {
  let r: TestRegistry;
  let image: { digest: string; body: Buffer };
  let indexDigest: string;
  before(async () => {
    r = await startTestRegistry();
    await createProject(r.url, 'team');
    for (const u of ['dev2', 'guest2', 'nobody']) await createUser(r.url, u, password);
    await addMember(r.url, 'team', 'dev2', 2);
    await addMember(r.url, 'team', 'guest2', 3);
    image = await pushImage(r.url, 'team/apps/web', 'v1');
    await pushImage(r.url, 'team/db', 'latest');
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: image.digest,
            size: image.body.length,
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      }),
    );
    const put = await v2fetch(`${r.url}/v2/team/apps/web/manifests/multi`, {
      method: 'PUT',
      body: asBody(index),
      headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' },
    });
    assert.equal(put.status, 201);
    indexDigest = sha256(index);
  });
  after(async () => r?.close());

  it('lists repositories of a project with counts and paging', async () => {
    const res = await fetch(`${r.url}/api/v2.0/projects/team/repositories?page_size=1`, { headers: as('guest2') });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-total-count'), '2');
    const [first] = await res.json();
    assert.equal(first.name, 'team/apps/web');
    assert.equal(first.artifact_count, 2);
    const filtered = await (await fetch(`${r.url}/api/v2.0/projects/team/repositories?q=name%3D~db`, { headers: as('guest2') })).json();
    assert.deepEqual(
      filtered.map((x: { name: string }) => x.name),
      ['team/db'],
    );
    assert.equal((await fetch(`${r.url}/api/v2.0/projects/team/repositories`, { headers: as('nobody') })).status, 404, 'a private project stays hidden');
  });

  it('counts pulls per repository and stamps the artifact pulled (GETs, not HEADs), in batches', async () => {
    const img = await pushImage(r.url, 'team/pulled', 'v1');
    const other = await pushImage(r.url, 'team/pulled', 'v2');
    const get = (ref: string, method = 'GET') =>
      v2fetch(`${r.url}/v2/team/pulled/manifests/${ref}`, { method, headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    for (let i = 0; i < 3; i++) assert.equal((await get('v1')).status, 200);
    assert.equal((await get(img.digest)).status, 200);
    assert.equal((await get('v1', 'HEAD')).status, 200);
    const repo = async () => (await (await fetch(`${r.url}/api/v2.0/projects/team/repositories/pulled`, { headers: adminAuth })).json()).pull_count;
    assert.equal(await repo(), 0, 'not on the pull path');
    await r.flushPulls();
    assert.equal(await repo(), 4);
    const artifacts = await (await fetch(`${r.url}/api/v2.0/projects/team/repositories/pulled/artifacts`, { headers: adminAuth })).json();
    type Tagged = { digest: string; pull_time: string; tags: Array<{ id: number; name: string; pull_time: string }> };
    const byDigest = new Map<string, Tagged>(artifacts.map((a: Tagged) => [a.digest, a]));
    assert.ok(Date.now() - Date.parse(byDigest.get(img.digest)!.pull_time) < 60_000);
    assert.equal(byDigest.get(other.digest)!.pull_time, '0001-01-01T00:00:00.000Z', "Harbor's zero time: never pulled");
    // A tag's pull time is its own: v1 was pulled by name, v2 never.
    const [v1] = byDigest.get(img.digest)!.tags;
    assert.ok(Date.now() - Date.parse(v1.pull_time) < 60_000);
    assert.equal(byDigest.get(other.digest)!.tags[0].pull_time, '0001-01-01T00:00:00.000Z');
    assert.ok(Number.isInteger(v1.id) && v1.id > 0);
  });

  it('addresses a nested repository with its slash encoded twice, as Harbor clients do', async () => {
    const res = await fetch(`${r.url}/api/v2.0/projects/team/repositories/apps%252Fweb`, { headers: as('guest2') });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).name, 'team/apps/web');
  });

  it('lists artifacts with tags, sizes and index references', async () => {
    const res = await fetch(`${r.url}/api/v2.0/projects/team/repositories/apps%252Fweb/artifacts`, { headers: as('guest2') });
    assert.equal(res.status, 200);
    const artifacts = await res.json();
    assert.equal(artifacts.length, 2);
    const img = artifacts.find((a: { digest: string }) => a.digest === image.digest);
    assert.deepEqual(
      img.tags.map((t: { name: string }) => t.name),
      ['v1'],
    );
    assert.equal(img.type, 'IMAGE');
    const manifest = JSON.parse(image.body.toString());
    assert.equal(img.size, image.body.length + manifest.config.size + manifest.layers[0].size);
    const idx = artifacts.find((a: { digest: string }) => a.digest === indexDigest);
    assert.deepEqual(idx.references, [{ child_digest: image.digest, platform: { os: 'linux', architecture: 'amd64' } }]);
    const byTag = await (await fetch(`${r.url}/api/v2.0/projects/team/repositories/apps%252Fweb/artifacts/multi`, { headers: as('guest2') })).json();
    assert.equal(byTag.digest, indexDigest);
  });

  it('deletes artifacts and repositories for those allowed only', async () => {
    assert.equal(
      (await fetch(`${r.url}/api/v2.0/projects/team/repositories/apps%252Fweb/artifacts/multi`, { method: 'DELETE', headers: as('dev2') })).status,
      403,
    );
    assert.equal(
      (await fetch(`${r.url}/api/v2.0/projects/team/repositories/apps%252Fweb/artifacts/multi`, { method: 'DELETE', headers: adminAuth })).status,
      200,
    );
    assert.equal((await v2fetch(`${r.url}/v2/team/apps/web/manifests/${indexDigest}`)).status, 404);
    assert.equal((await fetch(`${r.url}/api/v2.0/projects/team/repositories/db`, { method: 'DELETE', headers: as('guest2') })).status, 403);
    assert.equal((await fetch(`${r.url}/api/v2.0/projects/team/repositories/db`, { method: 'DELETE', headers: adminAuth })).status, 200);
    assert.equal((await v2fetch(`${r.url}/v2/team/db/manifests/latest`)).status, 404);
    assert.equal((await fetch(`${r.url}/api/v2.0/projects/team/repositories/db`, { headers: adminAuth })).status, 404);
  });

  it('adds and removes tags on an artifact within role limits', async () => {
    const base = `${r.url}/api/v2.0/projects/team/repositories/apps%252Fweb/artifacts/${image.digest}/tags`;
    const add = (who: Record<string, string>, name: string) =>
      fetch(base, { method: 'POST', headers: { ...who, 'Content-Type': 'application/json' }, body: JSON.stringify({ name }) });
    assert.equal((await add(as('guest2'), 'stable')).status, 403);
    assert.equal((await add(as('dev2'), 'stable')).status, 201);
    assert.equal((await add(as('dev2'), 'stable')).status, 409);
    assert.equal((await add(as('dev2'), '-bad')).status, 400);
    const tags = await (await fetch(base, { headers: as('guest2') })).json();
    assert.deepEqual(
      tags.map((t: { name: string }) => t.name),
      ['stable', 'v1'],
    );
    assert.equal((await v2fetch(`${r.url}/v2/team/apps/web/manifests/stable`)).headers.get('docker-content-digest'), image.digest);
    assert.equal((await fetch(`${base}/stable`, { method: 'DELETE', headers: as('dev2') })).status, 403, 'developers cannot delete tags');
    assert.equal((await fetch(`${base}/stable`, { method: 'DELETE', headers: adminAuth })).status, 200);
    assert.equal((await fetch(`${base}/stable`, { method: 'DELETE', headers: adminAuth })).status, 404);
    assert.equal((await v2fetch(`${r.url}/v2/team/apps/web/manifests/${image.digest}`)).status, 200, 'the artifact stays');
  });
});
