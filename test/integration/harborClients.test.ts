// What Harbor's own clients (its UI, @hapic/harbor, scripts) rely on beyond the shapes the
// schema test checks: existence checks, filters, double-encoded q, Harbor's full robot
// permission list, total counts, Location headers, and the operations they call.
import assert from 'node:assert/strict';
import { addMember, admin, basic, createProject, createUser } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { getBytes, pushImage } from '../helpers/v2client.js';

const password = 'Passw0rd-Clients';
const dev = { username: 'hc-dev', password };
const outsider = { username: 'hc-out', password };

// Harbor's project-scope robot permissions (goharbor/harbor src/common/rbac/const.go, PoliciesMap["Project"]).
const harborProjectPermissions = [
  'log:list',
  'project:read',
  'project:delete',
  'project:update',
  'metadata:read',
  'metadata:create',
  'metadata:delete',
  'metadata:list',
  'metadata:update',
  'repository:read',
  'repository:update',
  'repository:delete',
  'repository:list',
  'repository:pull',
  'repository:push',
  'artifact:read',
  'artifact:create',
  'artifact:list',
  'artifact:delete',
  'scan:create',
  'scan:read',
  'scan:stop',
  'tag:create',
  'tag:list',
  'tag:delete',
  'accessory:list',
  'artifact-addition:read',
  'artifact-label:create',
  'artifact-label:delete',
  'scanner:create',
  'scanner:read',
  'preheat-policy:read',
  'preheat-policy:create',
  'preheat-policy:delete',
  'preheat-policy:list',
  'preheat-policy:update',
  'immutable-tag:create',
  'immutable-tag:delete',
  'immutable-tag:list',
  'immutable-tag:update',
  'notification-policy:read',
  'notification-policy:create',
  'notification-policy:delete',
  'notification-policy:list',
  'notification-policy:update',
  'tag-retention:read',
  'tag-retention:create',
  'tag-retention:delete',
  'tag-retention:list',
  'tag-retention:update',
  'label:read',
  'label:create',
  'label:delete',
  'label:list',
  'label:update',
  'quota:read',
];

describe(`Harbor client behaviours`, () => {
  let r: TestRegistry;
  let projectId: number;
  const call = (method: string, path: string, body?: unknown, as: { username: string; password: string } | null = admin) =>
    fetch(`${r.url}/api/v2.0${path}`, {
      method,
      headers: { ...(as ? { Authorization: basic(as) } : {}), 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const json = async (res: Response) => {
    assert.ok(res.status < 300, `${res.status} ${await res.clone().text()}`);
    return res.json();
  };

  before(async () => {
    r = await startTestRegistry();
    await createProject(r.url, 'hopper');
    await createProject(r.url, 'hidden');
    await createProject(r.url, 'open-shop', { public: true });
    await createUser(r.url, dev.username, password);
    await createUser(r.url, outsider.username, password);
    await addMember(r.url, 'hopper', dev.username, 2);
    await pushImage(r.url, 'hopper/app', 'v1');
    await pushImage(r.url, 'hidden/secret', 'v1');
    await pushImage(r.url, 'open-shop/site', 'v1');
    projectId = (await json(await call('GET', '/projects/hopper'))).project_id;
  });
  after(async () => r?.close());

  it('HEAD /projects?project_name= tells whether the name is taken', async () => {
    assert.equal((await call('HEAD', '/projects?project_name=hopper', undefined, outsider)).status, 200);
    assert.equal((await call('HEAD', '/projects?project_name=hidden', undefined, outsider)).status, 200, 'a taken name is taken, whoever owns it');
    assert.equal((await call('HEAD', '/projects?project_name=no-such-project', undefined, outsider)).status, 404);
    assert.equal((await call('HEAD', '/projects', undefined, outsider)).status, 400);
    assert.equal((await call('HEAD', '/projects?project_name=hopper', undefined, null)).status, 401);
  });

  it("filters projects by Harbor's name, public and owner parameters", async () => {
    const names = async (q: string) => (await json(await call('GET', `/projects?${q}`))).map((p: { name: string }) => p.name).sort();
    assert.deepEqual(await names('name=opp'), ['hopper']);
    assert.deepEqual(await names('name=o&public=true'), ['open-shop']);
    assert.deepEqual(await names('owner=admin&name=hid'), ['hidden']);
    assert.deepEqual(await names('owner=hc-dev'), []);
    assert.equal((await call('GET', '/projects?public=maybe')).status, 400);
  });

  it('decodes q a second time, as Harbor does, so twice-encoded filters work', async () => {
    const once = await json(await call('GET', `/projects?q=${encodeURIComponent('name=~opp')}`));
    const twice = await json(await call('GET', `/projects?q=${encodeURIComponent(encodeURIComponent('name=~opp'))}`));
    assert.deepEqual(
      once.map((p: { name: string }) => p.name),
      ['hopper'],
    );
    assert.deepEqual(twice, once);
    const repos = await json(await call('GET', `/projects/hopper/repositories?q=${encodeURIComponent(encodeURIComponent('name=~ap'))}`));
    assert.deepEqual(
      repos.map((x: { name: string }) => x.name),
      ['hopper/app'],
    );
  });

  it("creates a robot with Harbor's full project permission list, and lists robots by level and name", async () => {
    const access = harborProjectPermissions.map((p) => ({ resource: p.split(':')[0], action: p.split(':')[1] }));
    const created = await call('POST', '/robots', {
      name: 'everything',
      level: 'project',
      duration: -1,
      permissions: [{ kind: 'project', namespace: 'hopper', access }],
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { id } = await created.json();
    const robot = await json(await call('GET', `/robots/${id}`));
    const granted = robot.permissions[0].access.map((a: { resource: string; action: string }) => `${a.resource}:${a.action}`).sort();
    assert.deepEqual(granted, [...harborProjectPermissions].sort());
    const system = await call('POST', '/robots', {
      name: 'sys-ci',
      level: 'system',
      duration: -1,
      permissions: [{ kind: 'project', namespace: '*', access: [{ resource: 'repository', action: 'pull' }] }],
    });
    assert.equal(system.status, 201, await system.clone().text());
    const names = async (q: string) => (await json(await call('GET', `/robots?q=${encodeURIComponent(q)}`))).map((x: { name: string }) => x.name);
    assert.deepEqual(await names('Level=system'), ['robot$sys-ci']);
    assert.deepEqual(await names('name=~every'), ['robot$hopper+everything']);
    assert.deepEqual(await names(`ProjectID=${projectId},Level=project`), ['robot$hopper+everything']);
    assert.equal((await call('GET', `/robots?q=${encodeURIComponent('Level=galaxy')}`)).status, 400);
    assert.equal(
      (await call('GET', `/robots?q=${encodeURIComponent('Level=system')}`, undefined, dev)).status,
      403,
      'a project member lists only their project',
    );
  });

  it('pages members and tags with X-Total-Count, reads one member, and answers createTag with its Location', async () => {
    const members = await call('GET', '/projects/hopper/members?page_size=1');
    assert.equal(members.headers.get('x-total-count'), '2');
    assert.equal((await members.json()).length, 1);
    const me = await json(await call('GET', '/users/current', undefined, dev));
    const [listed] = await json(await call('GET', `/projects/hopper/members?entityname=${dev.username}`, undefined, dev));
    const member = await json(await call('GET', `/projects/hopper/members/${listed.id}`, undefined, dev));
    assert.deepEqual([member.entity_name, member.entity_type, member.entity_id, member.role_id], [dev.username, 'u', me.user_id, 2]);
    assert.equal((await call('GET', '/projects/hopper/members/999999')).status, 404);
    const tagged = await call('POST', '/projects/hopper/repositories/app/artifacts/v1/tags', { name: 'stable' });
    assert.equal(tagged.status, 201);
    assert.equal(tagged.headers.get('location'), '/api/v2.0/projects/hopper/repositories/app/artifacts/v1/tags/stable');
    const tags = await call('GET', '/projects/hopper/repositories/app/artifacts/v1/tags?page_size=1&page=2');
    assert.equal(tags.headers.get('x-total-count'), '2');
    assert.deepEqual(
      (await tags.json()).map((t: { name: string }) => t.name),
      ['v1'],
    );
  });

  it('answers 200 when a finished execution is stopped again', async () => {
    const registry = await call('POST', '/registries', { name: 'self', type: 'berth', url: r.url });
    const registryId = Number(registry.headers.get('location')!.split('/').pop());
    const policy = await call('POST', '/replication/policies', { name: 'p', dest_registry: { id: registryId }, dest_namespace: 'hidden' });
    const policyId = Number(policy.headers.get('location')!.split('/').pop());
    const run = await call('POST', '/replication/executions', { policy_id: policyId });
    const id = Number(run.headers.get('location')!.split('/').pop());
    assert.equal((await call('PUT', `/replication/executions/${id}`, {})).status, 200);
    assert.equal((await json(await call('GET', `/replication/executions/${id}`))).status, 'Stopped');
    assert.equal((await call('PUT', `/replication/executions/${id}`, {})).status, 200, 'nothing left to stop');
    const info = await json(await call('GET', `/registries/${registryId}/info`));
    assert.equal(info.type, 'berth');
    assert.ok(info.supported_triggers.includes('event_based'));
  });

  it('tells the caller their permissions in a project, absolute or relative to it', async () => {
    const relative = await json(await call('GET', `/users/current/permissions?scope=/project/${projectId}&relative=true`, undefined, dev));
    const pairs = relative.map((p: { resource: string; action: string }) => `${p.resource}:${p.action}`);
    assert.ok(pairs.includes('repository:push'), 'a developer pushes');
    assert.ok(!pairs.includes('member:create'), 'a developer adds no members');
    const absolute = await json(await call('GET', `/users/current/permissions?scope=/project/${projectId}`, undefined, dev));
    assert.ok(absolute.some((p: { resource: string; action: string }) => p.resource === `/project/${projectId}/repository` && p.action === 'push'));
    const hidden = (await json(await call('GET', '/projects/hidden'))).project_id;
    assert.deepEqual(
      await json(await call('GET', `/users/current/permissions?scope=/project/${hidden}`, undefined, dev)),
      [],
      'nothing in a project they are not in',
    );
    assert.deepEqual(await json(await call('GET', '/users/current/permissions', undefined, dev)), []);
    assert.equal((await call('GET', '/users/current/permissions?scope=/elsewhere', undefined, dev)).status, 400);
  });

  it('finds users by name for anyone signed in, and reads and edits a profile (own, or any as admin)', async () => {
    const found = await call('GET', '/users/search?username=hc-', undefined, outsider);
    assert.equal(found.headers.get('x-total-count'), '2');
    assert.deepEqual(Object.keys((await found.json())[0]).sort(), ['user_id', 'username'], 'no emails for non-admins');
    assert.equal((await call('GET', '/users/search', undefined, outsider)).status, 400);
    const me = await json(await call('GET', '/users/current', undefined, dev));
    assert.equal((await call('PUT', `/users/${me.user_id}`, { email: 'dev@example.invalid', realname: 'Dev', comment: 'builds things' }, dev)).status, 200);
    const read = await json(await call('GET', `/users/${me.user_id}`, undefined, dev));
    assert.deepEqual([read.email, read.realname, read.comment], ['dev@example.invalid', 'Dev', 'builds things']);
    assert.equal((await call('GET', `/users/${me.user_id}`, undefined, outsider)).status, 403);
    assert.equal((await call('PUT', `/users/${me.user_id}`, { comment: 'x' }, outsider)).status, 403);
    assert.equal((await call('PUT', `/users/${me.user_id}`, { email: 'not-an-address' }, dev)).status, 400);
    assert.equal((await call('PUT', `/users/${me.user_id}`, { comment: 'by admin' })).status, 200);
    assert.equal((await json(await call('GET', `/users/${me.user_id}`))).comment, 'by admin');
  });

  it('keeps a repository description, and lists repositories across the projects the caller may see', async () => {
    assert.equal((await call('PUT', '/projects/hopper/repositories/app', { description: 'The app.' }, dev)).status, 200);
    assert.equal((await json(await call('GET', '/projects/hopper/repositories/app'))).description, 'The app.');
    assert.equal((await call('PUT', '/projects/hopper/repositories/app', { description: 7 }, dev)).status, 400);
    const names = async (as: typeof admin) => (await json(await call('GET', '/repositories', undefined, as))).map((x: { name: string }) => x.name);
    assert.deepEqual(await names(dev), ['hopper/app', 'open-shop/site']);
    assert.deepEqual(await names(outsider), ['open-shop/site']);
    assert.deepEqual((await names(admin)).sort(), ['hidden/secret', 'hopper/app', 'open-shop/site']);
    const filtered = await call('GET', `/repositories?q=${encodeURIComponent('name=~sec')}`);
    assert.equal(filtered.headers.get('x-total-count'), '1');
  });

  it('copies an artifact between repositories, by tag and by digest, byte for byte', async () => {
    const byTag = await call('POST', `/projects/hopper/repositories/copied/artifacts?from=${encodeURIComponent('open-shop/site:v1')}`, undefined, dev);
    assert.equal(byTag.status, 201, await byTag.clone().text());
    const source = await getBytes(`${r.url}/v2/open-shop/site/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const copy = await getBytes(`${r.url}/v2/hopper/copied/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(copy.status, 200, 'the tag came along');
    assert.deepEqual(copy.body, source.body);
    const digest = source.headers.get('docker-content-digest')!;
    assert.equal(byTag.headers.get('location'), `/api/v2.0/projects/hopper/repositories/copied/artifacts/${digest}`);
    const layer = JSON.parse(source.body.toString()).layers[0].digest;
    assert.equal((await getBytes(`${r.url}/v2/hopper/copied/blobs/${layer}`)).status, 200, 'its blobs are there');
    const byDigest = await call(
      'POST',
      `/projects/hopper/repositories/by-digest/artifacts?from=${encodeURIComponent(`open-shop/site@${digest}`)}`,
      undefined,
      dev,
    );
    assert.equal(byDigest.status, 201);
    const tags = await json(await call('GET', `/projects/hopper/repositories/by-digest/artifacts/${digest}/tags`));
    assert.deepEqual(tags, [], 'copied by digest, it has no tag');
    // Refusals: a source the caller may not read, a target they may not write, nonsense.
    assert.equal(
      (await call('POST', `/projects/hopper/repositories/x/artifacts?from=${encodeURIComponent('hidden/secret:v1')}`, undefined, dev)).status,
      404,
      'a private project stays hidden',
    );
    assert.equal((await call('POST', `/projects/open-shop/repositories/x/artifacts?from=${encodeURIComponent('hopper/app:v1')}`, undefined, dev)).status, 403);
    assert.equal(
      (await call('POST', `/projects/hopper/repositories/x/artifacts?from=${encodeURIComponent('open-shop/site:nope')}`, undefined, dev)).status,
      404,
    );
    assert.equal((await call('POST', '/projects/hopper/repositories/x/artifacts?from=garbage', undefined, dev)).status, 400);
    assert.equal((await call('POST', '/projects/hopper/repositories/x/artifacts', undefined, dev)).status, 400);
  });

  it("reports the blob volume's size to administrators", async () => {
    const { storage } = await json(await call('GET', '/systeminfo/volumes'));
    assert.equal(storage.length, 1);
    assert.ok(storage[0].total > 0 && storage[0].free > 0 && storage[0].free <= storage[0].total, JSON.stringify(storage));
    assert.equal((await call('GET', '/systeminfo/volumes', undefined, dev)).status, 403);
  });
});
