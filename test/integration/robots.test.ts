// Robot accounts: created within their creator's permissions, used on /v2 and through the
// token flow, disabled, expired, refreshed and deleted.
import assert from 'node:assert/strict';
import { addMember, admin, basic, createProject, createUser } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { asBody, randomBlob } from '../helpers/v2client.js';

const password = 'Passw0rd-Test';
const json = (user: { username: string; password: string }) => ({ Authorization: basic(user), 'Content-Type': 'application/json' });
const owner = { username: 'rowner', password };
const dev = { username: 'rdev', password };

function projectRobot(name: string, project: string, actions: string[], extra: Record<string, unknown> = {}) {
  return {
    name,
    level: 'project',
    duration: -1,
    permissions: [{ kind: 'project', namespace: project, access: actions.map((a) => ({ resource: 'repository', action: a })) }],
    ...extra,
  };
}

describe(`robot accounts`, function () {
  this.timeout(60_000);
  let r: TestRegistry;
  const create = (as: { username: string; password: string }, body: unknown) =>
    fetch(`${r.url}/api/v2.0/robots`, { method: 'POST', headers: json(as), body: JSON.stringify(body) });
  const push = (robot: { username: string; password: string }, repo: string) => {
    const blob = randomBlob(100);
    return fetch(`${r.url}/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, {
      method: 'POST',
      headers: { Authorization: basic(robot) },
      body: asBody(blob.data),
    });
  };

  before(async () => {
    r = await startTestRegistry();
    await createUser(r.url, owner.username, password);
    await createUser(r.url, dev.username, password);
    await fetch(`${r.url}/api/v2.0/projects`, { method: 'POST', headers: json(owner), body: JSON.stringify({ project_name: 'ci' }) });
    await addMember(r.url, 'ci', dev.username, 2);
    await createProject(r.url, 'other');
  });
  after(async () => r?.close());

  it('creates a project robot whose secret is shown once and works on /v2 within its grants', async () => {
    const res = await create(owner, projectRobot('builder', 'ci', ['pull', 'push']));
    assert.equal(res.status, 201, await res.clone().text());
    const created = await res.json();
    assert.equal(created.name, 'robot$ci+builder');
    assert.equal(created.expires_at, -1);
    const robot = { username: created.name, password: created.secret };
    assert.equal((await push(robot, 'ci/app')).status, 201);
    assert.equal((await push(robot, 'other/app')).status, 403, 'nothing outside its project');
    const del = await fetch(`${r.url}/v2/ci/app/manifests/latest`, { method: 'DELETE', headers: { Authorization: basic(robot) } });
    assert.equal(del.status, 403, 'no delete grant');
    // Through the token flow too.
    const q = new URLSearchParams({ service: 'berth', scope: 'repository:ci/app:pull,push,delete' });
    const token = await (await fetch(`${r.url}/service/token?${q}`, { headers: { Authorization: basic(robot) } })).json();
    const claims = JSON.parse(Buffer.from(token.token.split('.')[1], 'base64url').toString());
    assert.equal(claims.sub, 'robot$ci+builder');
    assert.deepEqual(claims.access[0].actions, ['pull', 'push']);
    const shown = await (await fetch(`${r.url}/api/v2.0/robots/${created.id}`, { headers: json(owner) })).json();
    assert.ok(!('secret' in shown) && !JSON.stringify(shown).includes(created.secret), 'the secret is never shown again');
    assert.deepEqual(shown.permissions, [
      {
        kind: 'project',
        namespace: 'ci',
        access: [
          { resource: 'repository', action: 'pull', effect: 'allow' },
          { resource: 'repository', action: 'push', effect: 'allow' },
        ],
      },
    ]);
  });

  it('never gives a robot more than its creator holds', async () => {
    assert.equal((await create(dev, projectRobot('sneaky', 'ci', ['pull']))).status, 403, 'developers cannot create robots');
    assert.equal((await create(owner, projectRobot('elsewhere', 'other', ['pull']))).status, 404, 'not the owner of that project');
    const system = {
      name: 'everything',
      level: 'system',
      permissions: [{ kind: 'project', namespace: '*', access: [{ resource: 'repository', action: 'pull' }] }],
    };
    assert.equal((await create(owner, system)).status, 403, 'only admins create system robots');
    assert.equal((await create(admin, system)).status, 201);
    assert.equal((await create(owner, projectRobot('bad', 'ci', ['fly']))).status, 400);
  });

  it('stops working when disabled, refreshed or deleted', async () => {
    const created = await (await create(owner, projectRobot('cycle', 'ci', ['pull', 'push']))).json();
    const robot = { username: created.name, password: created.secret };
    assert.equal((await push(robot, 'ci/cycle')).status, 201);
    const off = await fetch(`${r.url}/api/v2.0/robots/${created.id}`, { method: 'PUT', headers: json(owner), body: JSON.stringify({ disable: true }) });
    assert.equal(off.status, 200);
    assert.equal((await push(robot, 'ci/cycle')).status, 401, 'a disabled robot cannot log in');
    await fetch(`${r.url}/api/v2.0/robots/${created.id}`, { method: 'PUT', headers: json(owner), body: JSON.stringify({ disable: false }) });
    const refreshed = await (
      await fetch(`${r.url}/api/v2.0/robots/${created.id}`, { method: 'PATCH', headers: json(owner), body: JSON.stringify({ secret: '' }) })
    ).json();
    assert.ok(refreshed.secret && refreshed.secret !== created.secret);
    assert.equal((await push(robot, 'ci/cycle')).status, 401, 'the old secret stops working');
    assert.equal((await push({ username: created.name, password: refreshed.secret }, 'ci/cycle')).status, 201);
    assert.equal(
      (await fetch(`${r.url}/api/v2.0/robots/${created.id}`, { method: 'DELETE', headers: json(dev) })).status,
      404,
      'developers cannot manage robots',
    );
    assert.equal((await fetch(`${r.url}/api/v2.0/robots/${created.id}`, { method: 'DELETE', headers: json(owner) })).status, 200);
    assert.equal((await push({ username: created.name, password: refreshed.secret }, 'ci/cycle')).status, 401);
  });

  it('refuses an expired robot', async () => {
    const created = await (await create(owner, projectRobot('shortlived', 'ci', ['pull'], { duration: 1 }))).json();
    assert.ok(created.expires_at > Date.now() / 1000 + 23 * 3600);
    await r.db.query(`UPDATE robots SET expires_at = now() - interval '1 minute' WHERE id = $1`, [created.id]);
    const res = await fetch(`${r.url}/v2/ci/cycle/tags/list`, { headers: { Authorization: basic({ username: created.name, password: created.secret }) } });
    assert.equal(res.status, 401);
  });

  it("lists a project's robots for its members, all robots for administrators", async () => {
    const project = await (await fetch(`${r.url}/api/v2.0/projects/ci`, { headers: json(owner) })).json();
    const mine = await fetch(`${r.url}/api/v2.0/robots?q=ProjectID%3D${project.project_id}`, { headers: json(dev) });
    assert.equal(mine.status, 200);
    assert.ok((await mine.json()).every((x: { name: string }) => x.name.startsWith('robot$ci+')));
    assert.equal((await fetch(`${r.url}/api/v2.0/robots`, { headers: json(dev) })).status, 403);
    const all = await fetch(`${r.url}/api/v2.0/robots`, { headers: json(admin) });
    assert.ok(Number(all.headers.get('x-total-count')) >= 3);
  });
});
