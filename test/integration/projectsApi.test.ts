// The Harbor-compatible project, member and user endpoints that exist so far.
import assert from 'node:assert/strict';
import { addMember, admin, basic, createProject, createUser } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { pushImage } from '../helpers/v2client.js';

const password = 'Passw0rd-Test';
const as = (username: string) => ({ Authorization: basic({ username, password }), 'Content-Type': 'application/json' });

describe(`projects API`, () => {
  let r: TestRegistry;
  before(async () => {
    r = await startTestRegistry();
    for (const u of ['owner1', 'dev1', 'stranger']) await createUser(r.url, u, password);
  });
  after(async () => r?.close());

  it('lets any user create a project and makes them its admin', async () => {
    const res = await fetch(`${r.url}/api/v2.0/projects`, {
      method: 'POST',
      headers: as('owner1'),
      body: JSON.stringify({ project_name: 'own', metadata: { public: 'false' } }),
    });
    assert.equal(res.status, 201);
    assert.match(res.headers.get('location')!, /^\/api\/v2\.0\/projects\/\d+$/);
    const got = await fetch(`${r.url}/api/v2.0/projects/own`, { headers: { ...as('owner1'), 'X-Is-Resource-Name': 'true' } });
    assert.equal(got.status, 200);
    const body = await got.json();
    assert.equal(body.name, 'own');
    assert.equal(body.metadata.public, 'false');
    assert.equal(body.owner_name, 'owner1');
    assert.equal(body.current_user_role_id, 1);
    const byId = await fetch(`${r.url}${res.headers.get('location')}`, { headers: as('owner1') });
    assert.equal((await byId.json()).name, 'own');
  });

  it('refuses bad names and duplicates with Harbor codes', async () => {
    for (const name of ['Upper', '-x', 'a b', '', 'a'.repeat(256)]) {
      const res = await fetch(`${r.url}/api/v2.0/projects`, { method: 'POST', headers: as('owner1'), body: JSON.stringify({ project_name: name }) });
      assert.equal(res.status, 400, name);
      assert.equal((await res.json()).errors[0].code, 'BAD_REQUEST');
    }
    const dup = await fetch(`${r.url}/api/v2.0/projects`, { method: 'POST', headers: as('owner1'), body: JSON.stringify({ project_name: 'own' }) });
    assert.equal(dup.status, 409);
    assert.equal((await dup.json()).errors[0].code, 'CONFLICT');
    const anon = await fetch(`${r.url}/api/v2.0/projects`, { method: 'POST', body: JSON.stringify({ project_name: 'anon' }) });
    assert.equal(anon.status, 401);
    const wrong = await fetch(`${r.url}/api/v2.0/users/current`, { headers: { Authorization: basic({ username: 'owner1', password: 'nope' }) } });
    assert.equal(wrong.status, 401);
  });

  it('hides private projects from non-members (404), shows public ones to anyone', async () => {
    assert.equal((await fetch(`${r.url}/api/v2.0/projects/own`, { headers: as('stranger') })).status, 404);
    assert.equal((await fetch(`${r.url}/api/v2.0/projects/own`)).status, 404);
    assert.equal((await fetch(`${r.url}/api/v2.0/projects/library`)).status, 200);
  });

  it('lets only a project admin add members, and deletes a project only when empty', async () => {
    await addMember(r.url, 'own', 'dev1', 2);
    const byDev = await fetch(`${r.url}/api/v2.0/projects/own/members`, {
      method: 'POST',
      headers: as('dev1'),
      body: JSON.stringify({ role_id: 3, member_user: { username: 'stranger' } }),
    });
    assert.equal(byDev.status, 403);
    const again = await fetch(`${r.url}/api/v2.0/projects/own/members`, {
      method: 'POST',
      headers: as('owner1'),
      body: JSON.stringify({ role_id: 2, member_user: { username: 'dev1' } }),
    });
    assert.equal(again.status, 409);
    const badRole = await fetch(`${r.url}/api/v2.0/projects/own/members`, {
      method: 'POST',
      headers: as('owner1'),
      body: JSON.stringify({ role_id: 9, member_user: { username: 'stranger' } }),
    });
    assert.equal(badRole.status, 400);

    await pushImage(r.url, 'own/app', 'v1');
    assert.equal((await fetch(`${r.url}/api/v2.0/projects/own`, { method: 'DELETE', headers: as('dev1') })).status, 403);
    const notEmpty = await fetch(`${r.url}/api/v2.0/projects/own`, { method: 'DELETE', headers: as('owner1') });
    assert.equal(notEmpty.status, 412);
    assert.match((await notEmpty.json()).errors[0].message, /still holds 1 repositories/);
    assert.equal((await fetch(`${r.url}/v2/own/app/manifests/v1`, { method: 'DELETE', headers: { Authorization: basic(admin) } })).status, 202);
    // Deleting the manifest leaves the layer links; the repository still holds blobs.
    await createProject(r.url, 'empty1');
    assert.equal((await fetch(`${r.url}/api/v2.0/projects/empty1`, { method: 'DELETE', headers: { Authorization: basic(admin) } })).status, 200);
    assert.equal((await fetch(`${r.url}/api/v2.0/projects/empty1`, { headers: { Authorization: basic(admin) } })).status, 404);
  });

  it('creates users for administrators only, with Harbor password rules', async () => {
    const byUser = await fetch(`${r.url}/api/v2.0/users`, { method: 'POST', headers: as('owner1'), body: JSON.stringify({ username: 'x1', password }) });
    assert.equal(byUser.status, 403);
    const weak = await fetch(`${r.url}/api/v2.0/users`, {
      method: 'POST',
      headers: { Authorization: basic(admin) },
      body: JSON.stringify({ username: 'x2', password: 'short' }),
    });
    assert.equal(weak.status, 400);
    const me = await fetch(`${r.url}/api/v2.0/users/current`, { headers: as('owner1') });
    const body = await me.json();
    assert.equal(body.username, 'owner1');
    assert.equal(body.sysadmin_flag, false);
    assert.ok(!('password_hash' in body) && !('password' in body));
  });

  it('lists the projects a caller may see, with Harbor paging, filters and sorting', async () => {
    for (const n of ['list-a', 'list-b', 'list-c']) {
      const res = await fetch(`${r.url}/api/v2.0/projects`, {
        method: 'POST',
        headers: as('owner1'),
        body: JSON.stringify({ project_name: n, metadata: { public: n === 'list-c' ? 'true' : 'false' } }),
      });
      assert.equal(res.status, 201);
    }
    const mine = await fetch(`${r.url}/api/v2.0/projects?q=name%3D~list-&sort=-name&page=1&page_size=2`, { headers: as('owner1') });
    assert.equal(mine.status, 200);
    assert.equal(mine.headers.get('x-total-count'), '3');
    assert.deepEqual(
      (await mine.json()).map((p: { name: string }) => p.name),
      ['list-c', 'list-b'],
    );
    assert.match(mine.headers.get('link')!, /page=2&page_size=2>; rel="next"$/);
    const strangers = await fetch(`${r.url}/api/v2.0/projects?q=name%3D~list-`, { headers: as('stranger') });
    assert.deepEqual(
      (await strangers.json()).map((p: { name: string }) => p.name),
      ['list-c'],
      'non-members see public projects only',
    );
    const anon = await fetch(`${r.url}/api/v2.0/projects?q=public%3Dtrue`);
    assert.ok((await anon.json()).every((p: { public: boolean }) => p.public));
    assert.equal((await fetch(`${r.url}/api/v2.0/projects?q=owner_id%3D1`, { headers: as('owner1') })).status, 400, 'only allowed filter keys');
    assert.equal((await fetch(`${r.url}/api/v2.0/projects?sort=password`, { headers: as('owner1') })).status, 400, 'only allowed sort keys');
    assert.equal((await fetch(`${r.url}/api/v2.0/projects?page_size=1000`, { headers: as('owner1') })).status, 422);
  });

  it('updates the public flag for project admins only', async () => {
    assert.equal(
      (await fetch(`${r.url}/api/v2.0/projects/list-a`, { method: 'PUT', headers: as('stranger'), body: JSON.stringify({ metadata: { public: 'true' } }) }))
        .status,
      404,
    );
    assert.equal(
      (await fetch(`${r.url}/api/v2.0/projects/list-a`, { method: 'PUT', headers: as('owner1'), body: JSON.stringify({ metadata: { public: 'true' } }) }))
        .status,
      200,
    );
    assert.equal((await fetch(`${r.url}/api/v2.0/projects/list-a`, { headers: as('stranger') })).status, 200, 'now public');
  });

  it('lists, re-roles and removes members', async () => {
    await addMember(r.url, 'list-b', 'dev1', 2);
    const list = await fetch(`${r.url}/api/v2.0/projects/list-b/members`, { headers: as('owner1') });
    const members = await list.json();
    assert.deepEqual(
      members.map((m: { entity_name: string; role_id: number }) => [m.entity_name, m.role_id]),
      [
        ['dev1', 2],
        ['owner1', 1],
      ],
    );
    const dev = members.find((m: { entity_name: string }) => m.entity_name === 'dev1');
    assert.equal(
      (await fetch(`${r.url}/api/v2.0/projects/list-b/members/${dev.id}`, { method: 'PUT', headers: as('dev1'), body: JSON.stringify({ role_id: 1 }) })).status,
      403,
      'a developer cannot promote itself',
    );
    assert.equal(
      (await fetch(`${r.url}/api/v2.0/projects/list-b/members/${dev.id}`, { method: 'PUT', headers: as('owner1'), body: JSON.stringify({ role_id: 3 }) }))
        .status,
      200,
    );
    const guestPush = await fetch(`${r.url}/v2/list-b/app/blobs/uploads/`, {
      method: 'POST',
      headers: { Authorization: basic({ username: 'dev1', password }) },
    });
    assert.equal(guestPush.status, 403, 'the new role applies at once');
    assert.equal((await fetch(`${r.url}/api/v2.0/projects/list-b/members/${dev.id}`, { method: 'DELETE', headers: as('owner1') })).status, 200);
    assert.equal((await fetch(`${r.url}/api/v2.0/projects/list-b`, { headers: as('dev1') })).status, 404, 'no longer a member');
    assert.equal((await fetch(`${r.url}/api/v2.0/projects/list-b/members/999999`, { method: 'DELETE', headers: as('owner1') })).status, 404);
  });

  it('pages users, changes passwords and deletes users', async () => {
    const page = await fetch(`${r.url}/api/v2.0/users?page=1&page_size=2`, { headers: { Authorization: basic(admin) } });
    assert.equal(page.status, 200);
    assert.equal((await page.json()).length, 2);
    assert.ok(Number(page.headers.get('x-total-count')) >= 4);
    assert.equal((await fetch(`${r.url}/api/v2.0/users`, { headers: as('owner1') })).status, 403);

    const me = await (await fetch(`${r.url}/api/v2.0/users/current`, { headers: as('stranger') })).json();
    const wrongOld = await fetch(`${r.url}/api/v2.0/users/${me.user_id}/password`, {
      method: 'PUT',
      headers: as('stranger'),
      body: JSON.stringify({ old_password: 'nope', new_password: 'Newer-Passw0rd' }),
    });
    assert.equal(wrongOld.status, 403);
    const ok = await fetch(`${r.url}/api/v2.0/users/${me.user_id}/password`, {
      method: 'PUT',
      headers: as('stranger'),
      body: JSON.stringify({ old_password: password, new_password: 'Newer-Passw0rd' }),
    });
    assert.equal(ok.status, 200);
    assert.equal((await fetch(`${r.url}/api/v2.0/users/current`, { headers: as('stranger') })).status, 401, 'the old password stops working at once');
    const newAuth = { Authorization: basic({ username: 'stranger', password: 'Newer-Passw0rd' }) };
    assert.equal((await fetch(`${r.url}/api/v2.0/users/current`, { headers: newAuth })).status, 200);
    const other = await fetch(`${r.url}/api/v2.0/users/${me.user_id}/password`, {
      method: 'PUT',
      headers: as('owner1'),
      body: JSON.stringify({ new_password: 'Hijack-Passw0rd' }),
    });
    assert.equal(other.status, 403, "users cannot set another's password");

    assert.equal((await fetch(`${r.url}/api/v2.0/users/1`, { method: 'DELETE', headers: { Authorization: basic(admin) } })).status, 403);
    assert.equal((await fetch(`${r.url}/api/v2.0/users/${me.user_id}`, { method: 'DELETE', headers: as('owner1') })).status, 403);
    assert.equal((await fetch(`${r.url}/api/v2.0/users/${me.user_id}`, { method: 'DELETE', headers: { Authorization: basic(admin) } })).status, 200);
    assert.equal((await fetch(`${r.url}/api/v2.0/users/current`, { headers: newAuth })).status, 401);
  });

  it('makes a user an administrator and takes it back, never for oneself or the first administrator', async () => {
    await createUser(r.url, 'promoted', password);
    const me = await (await fetch(`${r.url}/api/v2.0/users/current`, { headers: as('promoted') })).json();
    const set = (id: number, flag: unknown, headers: Record<string, string> = { Authorization: basic(admin), 'Content-Type': 'application/json' }) =>
      fetch(`${r.url}/api/v2.0/users/${id}/sysadmin`, { method: 'PUT', headers, body: JSON.stringify({ sysadmin_flag: flag }) });
    assert.equal((await fetch(`${r.url}/api/v2.0/users`, { headers: as('promoted') })).status, 403);
    assert.equal((await set(me.user_id, true, as('owner1'))).status, 403, 'only administrators');
    assert.equal((await set(me.user_id, 'yes')).status, 400);
    assert.equal((await set(1, false)).status, 403);
    assert.equal((await set(999999, true)).status, 404);
    assert.equal((await set(me.user_id, true)).status, 200);
    assert.equal((await fetch(`${r.url}/api/v2.0/users`, { headers: as('promoted') })).status, 200, 'at once, on the next request');
    assert.equal((await set(me.user_id, false, as('promoted'))).status, 403, 'not oneself');
    assert.equal((await set(me.user_id, false)).status, 200);
    assert.equal((await fetch(`${r.url}/api/v2.0/users`, { headers: as('promoted') })).status, 403);
  });

  it('summarises a project: repositories, and members per role for those who may see members', async () => {
    await createProject(r.url, 'summ');
    await pushImage(r.url, 'summ/a', 'v1');
    await pushImage(r.url, 'summ/b', 'v1');
    await createUser(r.url, 'lg1', password);
    await addMember(r.url, 'summ', 'dev1', 2);
    await addMember(r.url, 'summ', 'lg1', 5);
    const full = await (await fetch(`${r.url}/api/v2.0/projects/summ/summary`, { headers: { Authorization: basic(admin) } })).json();
    const used = (await (await fetch(`${r.url}/api/v2.0/projects/summ`, { headers: { Authorization: basic(admin) } })).json()).storage_used;
    assert.ok(used > 0);
    const quota = { hard: { storage: -1 }, used: { storage: used } };
    assert.deepEqual(full, { repo_count: 2, quota, project_admin_count: 1, maintainer_count: 0, developer_count: 1, guest_count: 0, limited_guest_count: 1 });
    const limited = await (await fetch(`${r.url}/api/v2.0/projects/summ/summary`, { headers: as('lg1') })).json();
    assert.deepEqual(limited, { repo_count: 2, quota });
    assert.equal((await fetch(`${r.url}/api/v2.0/projects/summ/summary`, { headers: as('owner1') })).status, 404);
  });
});
