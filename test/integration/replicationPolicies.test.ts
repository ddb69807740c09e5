// Replication rules (Harbor's /api/v2.0/replication/policies): push and pull rules, globs,
// triggers with the next scheduled run, the rules that keep a rule meaningful, and the
// registries a rule uses staying put.
import assert from 'node:assert/strict';
import { Cron } from 'croner';
import { admin, basic, createUser } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';

const json = (user = admin) => ({ Authorization: basic(user), 'Content-Type': 'application/json' });

describe(`replication rules`, function () {
  this.timeout(60_000);
  let r: TestRegistry;
  let remote: number;
  const call = (method: string, path: string, body?: unknown, user = admin) =>
    fetch(`${r.url}/api/v2.0${path}`, { method, headers: json(user), body: body === undefined ? undefined : JSON.stringify(body) });
  const create = async (body: Record<string, unknown>) => {
    const res = await call('POST', '/replication/policies', body);
    assert.equal(res.status, 201, await res.clone().text());
    return Number(res.headers.get('Location')!.split('/').pop());
  };
  const refused = async (body: Record<string, unknown>, message: RegExp, method = 'POST', path = '/replication/policies') => {
    const res = await call(method, path, body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match((await res.json()).errors[0].message, message);
  };

  before(async () => {
    r = await startTestRegistry();
    await createUser(r.url, 'plain', 'Passw0rd-Test');
    // The rules only name the registry; it is this same server, which is enough here.
    const res = await call('POST', '/registries', { name: 'dr', type: 'berth', url: r.url });
    remote = Number(res.headers.get('Location')!.split('/').pop());
  });
  after(async () => r?.close());

  it('creates a push rule with globs, flattening and an event trigger, and shows it as Harbor does', async () => {
    const id = await create({
      name: 'to-dr',
      dest_registry: { id: remote },
      dest_namespace: 'mirror',
      dest_namespace_replace_count: 1,
      trigger: { type: 'event_based' },
      filters: [
        { type: 'name', value: 'library/**' },
        { type: 'tag', value: '{v*,latest}', decoration: 'excludes' },
        { type: 'resource', value: 'image' },
      ],
      deletion: true,
      speed: 1024,
    });
    const p = await (await call('GET', `/replication/policies/${id}`)).json();
    assert.deepEqual([p.src_registry.id, p.src_registry.name], [0, 'Local'], 'the source of a push rule is this Berth, as Harbor writes it');
    assert.equal(p.dest_registry.id, remote);
    assert.equal(p.dest_registry.credential.access_secret, '');
    assert.deepEqual(p.trigger, { type: 'event_based', trigger_settings: { cron: '' } });
    assert.deepEqual(p.filters, [
      { type: 'name', value: 'library/**', decoration: 'matches' },
      { type: 'tag', value: '{v*,latest}', decoration: 'excludes' },
      { type: 'resource', value: 'image', decoration: 'matches' },
    ]);
    assert.equal(p.replicate_deletion, true);
    assert.equal(p.deletion, true);
    assert.equal(p.override, true);
    assert.equal(p.enabled, true);
    assert.equal(p.speed, 1024);
    assert.equal(p.dest_namespace_replace_count, 1);
    assert.equal(p.next_run_time, null);
    assert.equal((await call('POST', '/replication/policies', { name: 'to-dr', dest_registry: { id: remote } })).status, 409);
  });

  it('shows when a scheduled rule runs next, and not while it is disabled', async () => {
    const cron = '0 30 2 * * *';
    const id = await create({ name: 'nightly-pull', src_registry: { id: remote }, trigger: { type: 'scheduled', trigger_settings: { cron } } });
    const p = await (await call('GET', `/replication/policies/${id}`)).json();
    assert.deepEqual([p.dest_registry.id, p.dest_registry.name], [0, 'Local']);
    const expected = new Cron(cron, { paused: true }).nextRun()!;
    assert.ok(Math.abs(new Date(p.next_run_time).getTime() - expected.getTime()) < 1000, `${p.next_run_time} vs ${expected.toISOString()}`);
    assert.equal(new Date(p.next_run_time).getUTCMinutes(), 30);
    assert.equal((await call('PUT', `/replication/policies/${id}`, { enabled: false })).status, 200);
    const disabled = await (await call('GET', `/replication/policies/${id}`)).json();
    assert.equal(disabled.next_run_time, null);
    assert.equal(disabled.trigger.trigger_settings.cron, cron, 'fields left out keep their values');
    assert.equal(disabled.src_registry.id, remote);
  });

  it('refuses rules that could not run as written', async () => {
    await refused({ name: 'x' }, /exactly one of src_registry/);
    await refused({ name: 'x', src_registry: { id: remote }, dest_registry: { id: remote } }, /exactly one of src_registry/);
    await refused({ name: 'x', dest_registry: { id: 424242 } }, /registry 424242 does not exist/);
    await refused({ name: 'x', src_registry: { id: remote }, trigger: { type: 'event_based' } }, /event-based triggers are for push rules/);
    await refused({ name: 'x', dest_registry: { id: remote }, trigger: { type: 'scheduled', trigger_settings: { cron: 'every night' } } }, /is not a schedule/);
    await refused({ name: 'x', dest_registry: { id: remote }, trigger: { type: 'sometimes' } }, /trigger.type must be one of/);
    await refused({ name: 'x', dest_registry: { id: remote }, replicate_deletion: true }, /event-based push rules only/);
    await refused({ name: 'x', dest_registry: { id: remote }, filters: [{ type: 'label', value: 'x' }] }, /type must be one of name, tag, resource/);
    await refused(
      {
        name: 'x',
        dest_registry: { id: remote },
        filters: [
          { type: 'name', value: 'a' },
          { type: 'name', value: 'b' },
        ],
      },
      /one name filter per rule/,
    );
    await refused({ name: 'x', dest_registry: { id: remote }, filters: [{ type: 'resource', value: 'chart' }] }, /image or artifact/);
    await refused({ name: 'x', dest_registry: { id: remote }, filters: [{ type: 'tag', value: 'v1', decoration: 'maybe' }] }, /matches or excludes/);
    await refused({ name: 'x', dest_registry: { id: remote }, dest_namespace: 'Upper/Case' }, /dest_namespace must be/);
    await refused({ name: 'x', dest_registry: { id: remote }, dest_namespace_replace_count: -2 }, /dest_namespace_replace_count/);
    await refused({ name: 'x', dest_registry: { id: remote }, speed: 0 }, /speed is -1/);
    await refused({ name: '', dest_registry: { id: remote } }, /name is required/);
    assert.equal(
      (await call('POST', '/replication/policies', { name: 'x', dest_registry: { id: remote } }, { username: 'plain', password: 'Passw0rd-Test' })).status,
      403,
    );
    assert.equal((await call('GET', '/replication/policies', undefined, { username: 'plain', password: 'Passw0rd-Test' })).status, 403);
  });

  it('lists and pages rules, keeps a registry a rule uses, and records every change', async () => {
    const list = await call('GET', '/replication/policies?page_size=1&q=name%3D~-');
    assert.equal(list.headers.get('X-Total-Count'), '2');
    assert.match(list.headers.get('Link') ?? '', /rel="next"/);
    assert.equal((await list.json()).length, 1);
    const inUse = await call('DELETE', `/registries/${remote}`);
    assert.equal(inUse.status, 409);
    assert.match((await inUse.json()).errors[0].message, /used by 2 replication rule/);
    for (const p of await (await call('GET', '/replication/policies')).json())
      assert.equal((await call('DELETE', `/replication/policies/${p.id}`)).status, 200);
    assert.equal((await call('GET', '/replication/policies/1')).status, 404);
    assert.equal((await call('DELETE', `/registries/${remote}`)).status, 200, 'free once no rule uses it');
    const rows = (
      await r.db.query<{ operation: string; resource: string }>(
        `SELECT operation, resource FROM audit_log WHERE resource_type = 'replication_policy' ORDER BY id`,
      )
    ).rows;
    assert.deepEqual(
      rows.map((x) => `${x.operation} ${x.resource}`),
      ['create to-dr', 'create nightly-pull', 'update nightly-pull', 'delete to-dr', 'delete nightly-pull'],
    );
  });
});
