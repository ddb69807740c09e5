// Registries for replication (Harbor's /api/v2.0/registries): administrators only, the
// secret sealed at rest and never returned, targets checked against the allowed networks,
// and a ping that follows the remote's token flow. Berth B is a second real registry.
import assert from 'node:assert/strict';
import http from 'node:http';
import { createApp } from '../../server/http/app.js';
import { createLogger } from '../../server/log/logger.js';
import { secretBox } from '../../server/replication/secretBox.js';
import { admin, basic, createUser } from '../helpers/api.js';
import { startTestRegistry, testAuthDeps, testSecretKey, type TestRegistry } from '../helpers/inProcess.js';

const password = 'Passw0rd-Test';
const json = (user = admin) => ({ Authorization: basic(user), 'Content-Type': 'application/json' });

describe(`registries for replication`, function () {
  this.timeout(60_000);
  let a: TestRegistry;
  let b: TestRegistry;
  let notRegistry: http.Server;
  let notRegistryUrl: string;
  const call = (method: string, path: string, body?: unknown, user = admin) =>
    fetch(`${a.url}/api/v2.0${path}`, { method, headers: json(user), body: body === undefined ? undefined : JSON.stringify(body) });
  const create = async (body: Record<string, unknown>) => {
    const res = await call('POST', '/registries', body);
    assert.equal(res.status, 201, await res.clone().text());
    return Number(res.headers.get('Location')!.split('/').pop());
  };

  before(async () => {
    [a, b] = await Promise.all([startTestRegistry(), startTestRegistry()]);
    await createUser(b.url, 'replicator', password);
    await createUser(a.url, 'plain', password);
    notRegistry = http.createServer((_req, res) => {
      res.statusCode = 404;
      res.end('no registry here');
    });
    await new Promise<void>((done) => notRegistry.listen(0, '127.0.0.1', () => done()));
    notRegistryUrl = `http://127.0.0.1:${(notRegistry.address() as { port: number }).port}`;
  });
  after(async () => {
    await a?.close();
    await b?.close();
    notRegistry?.close();
  });

  it('creates a registry whose secret is sealed at rest and shown only as *****', async () => {
    const id = await create({
      name: 'site-b',
      type: 'berth',
      url: `${b.url}/`,
      description: 'the other site',
      credential: { type: 'basic', access_key: 'replicator', access_secret: password },
    });
    const shown = await (await call('GET', `/registries/${id}`)).json();
    assert.equal(shown.name, 'site-b');
    assert.equal(shown.url, b.url, 'a trailing slash is dropped');
    assert.deepEqual(shown.credential, { type: 'basic', access_key: 'replicator', access_secret: '*****' });
    assert.equal(shown.status, 'unknown');
    const stored = (await a.db.query<{ access_secret_enc: string }>('SELECT access_secret_enc FROM registries WHERE id = $1', [id])).rows[0].access_secret_enc;
    assert.match(stored, /^v1:[0-9a-f]{8}:/);
    assert.ok(!stored.includes(password) && !Buffer.from(stored.split(':')[2], 'base64').toString('latin1').includes(password));
    assert.equal(secretBox(testSecretKey).open(stored), password);
    const list = await call('GET', '/registries?q=name%3D~site');
    assert.equal(list.headers.get('X-Total-Count'), '1');
    assert.ok(!JSON.stringify(await list.json()).includes(password));
    assert.equal((await call('POST', '/registries', { name: 'site-b', type: 'berth', url: b.url })).status, 409);
  });

  it('keeps the secret when an update sends ***** or nothing, replaces it when a new one is sent', async () => {
    const id = await create({ name: 'keep', type: 'harbor', url: b.url, credential: { access_key: 'replicator', access_secret: password } });
    const before = (await a.db.query<{ access_secret_enc: string }>('SELECT access_secret_enc FROM registries WHERE id = $1', [id])).rows[0].access_secret_enc;
    assert.equal((await call('PUT', `/registries/${id}`, { description: 'edited', access_secret: '*****' })).status, 200);
    assert.equal((await call('PUT', `/registries/${id}`, { insecure: true })).status, 200);
    const after = (
      await a.db.query<{ access_secret_enc: string; description: string; insecure: boolean }>(
        'SELECT access_secret_enc, description, insecure FROM registries WHERE id = $1',
        [id],
      )
    ).rows[0];
    assert.equal(after.access_secret_enc, before);
    assert.equal(after.description, 'edited');
    assert.equal(after.insecure, true);
    assert.equal((await call('PUT', `/registries/${id}`, { credential_type: 'basic', access_key: 'replicator', access_secret: 'Other-Passw0rd' })).status, 200);
    const replaced = (await a.db.query<{ access_secret_enc: string }>('SELECT access_secret_enc FROM registries WHERE id = $1', [id])).rows[0]
      .access_secret_enc;
    assert.equal(secretBox(testSecretKey).open(replaced), 'Other-Passw0rd');
    assert.equal((await call('PUT', `/registries/${id}`, { name: 'site-b' })).status, 409, 'names stay unique');
    assert.equal((await call('DELETE', `/registries/${id}`)).status, 200);
    assert.equal((await call('GET', `/registries/${id}`)).status, 404);
    const rows = (
      await a.db.query<{ operation: string; resource: string }>(
        `SELECT operation, resource FROM audit_log WHERE resource_type = 'registry' AND resource LIKE 'keep %' ORDER BY id`,
      )
    ).rows;
    assert.deepEqual(
      rows.map((r) => r.operation),
      ['create', 'update', 'update', 'update', 'delete'],
    );
    assert.ok(!JSON.stringify(rows).includes(password));
  });

  it('refuses bad input and callers who are not system administrators', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ name: 'x', type: 'quay', url: b.url }, /type must be one of berth, harbor, docker-registry, oci/],
      [{ name: 'x', type: 'oci', url: 'ftp://example.com' }, /http:\/\/ or https:\/\//],
      [{ name: 'x', type: 'oci', url: 'http://user:pw@example.com' }, /credential fields/],
      [{ name: 'x', type: 'oci', url: b.url, credential: { access_key: 'only-a-key' } }, /both access_key and access_secret/],
      [{ type: 'oci', url: b.url }, /name is required/],
    ];
    for (const [body, message] of cases) {
      const res = await call('POST', '/registries', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match((await res.json()).errors[0].message, message);
    }
    assert.equal((await call('POST', '/registries', { name: 'x', type: 'oci', url: b.url }, { username: 'plain', password })).status, 403);
    assert.equal((await call('GET', '/registries', undefined, { username: 'plain', password })).status, 403);
    assert.equal((await fetch(`${a.url}/api/v2.0/registries`)).status, 401);
  });

  it('never targets link-local or metadata addresses; private and loopback only when allowed', async () => {
    for (const url of ['http://169.254.169.254', 'http://[fe80::1]:5000', 'http://[::ffff:169.254.169.254]', 'http://100.100.100.200', 'http://0.0.0.0:5000']) {
      const res = await call('POST', '/registries', { name: 'meta', type: 'oci', url });
      assert.equal(res.status, 400, url);
      assert.match((await res.json()).errors[0].message, /link-local, metadata or unspecified/);
    }
    const privateRes = await call('POST', '/registries', { name: 'lan', type: 'oci', url: 'http://10.1.2.3:5000' });
    assert.match((await privateRes.json()).errors[0].message, /private address \(allow it with BERTH_REPLICATION_ALLOW=private\)/);
    // A server where loopback is not allowed refuses the names that resolve to it too.
    const auth = await testAuthDeps(a.db);
    const replication = { box: secretBox(testSecretKey), allow: { loopback: false, private: false } };
    const strict = http.createServer(createApp({ db: a.db, store: a.store, log: createLogger('silent'), auth, replication }).callback());
    await new Promise<void>((done) => strict.listen(0, '127.0.0.1', () => done()));
    try {
      const url = `http://127.0.0.1:${(strict.address() as { port: number }).port}/api/v2.0/registries/ping`;
      for (const target of [b.url, b.url.replace('127.0.0.1', 'localhost')]) {
        const res = await fetch(url, { method: 'POST', headers: json(), body: JSON.stringify({ type: 'berth', url: target }) });
        assert.equal(res.status, 400);
        assert.match((await res.json()).errors[0].message, /loopback address \(allow it with BERTH_REPLICATION_ALLOW=loopback\)/);
      }
    } finally {
      strict.closeAllConnections();
      strict.close();
    }
  });

  it('pings through the remote token flow and records whether the registry is healthy', async () => {
    const good = await create({ name: 'ping-good', type: 'berth', url: b.url, credential: { access_key: 'replicator', access_secret: password } });
    assert.equal((await call('POST', '/registries/ping', { id: good })).status, 200);
    assert.equal((await (await call('GET', `/registries/${good}`)).json()).status, 'healthy');

    const wrong = await create({ name: 'ping-wrong', type: 'berth', url: b.url, credential: { access_key: 'replicator', access_secret: 'Wrong-Passw0rd' } });
    const rejected = await call('POST', '/registries/ping', { id: wrong });
    assert.equal(rejected.status, 400);
    assert.match((await rejected.json()).errors[0].message, /rejected the credentials/);
    assert.equal((await (await call('GET', `/registries/${wrong}`)).json()).status, 'unhealthy');
    assert.equal(
      (await call('POST', '/registries/ping', { id: wrong, access_secret: password })).status,
      200,
      'fields given with an id override the stored ones',
    );

    const failures: Array<[Record<string, unknown>, RegExp]> = [
      [{ type: 'berth', url: b.url }, /requires credentials/],
      [{ type: 'oci', url: notRegistryUrl }, /is not a registry: it answered 404/],
      [{ type: 'oci', url: 'http://127.0.0.1:1' }, /cannot reach/],
    ];
    for (const [body, message] of failures) {
      const res = await call('POST', '/registries/ping', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match((await res.json()).errors[0].message, message);
    }
    assert.equal(
      (await call('POST', '/registries/ping', { type: 'berth', url: b.url, credential: { access_key: 'replicator', access_secret: password } })).status,
      200,
      'a registry not saved yet',
    );
    assert.equal((await call('POST', '/registries/ping', { id: 999999 })).status, 404);
  });

  it('describes each adapter type with the fields of its form', async () => {
    assert.deepEqual(await (await call('GET', '/replication/adapters')).json(), ['berth', 'harbor', 'docker-registry', 'oci']);
    const infos = await (await call('GET', '/replication/adapterinfos', undefined, { username: 'plain', password })).json();
    assert.deepEqual(Object.keys(infos), ['berth', 'harbor', 'docker-registry', 'oci']);
    for (const info of Object.values(infos) as Array<{ fields: Array<{ key: string; type: string }>; supported_triggers: string[] }>) {
      assert.deepEqual(
        info.fields.map((f) => f.key),
        ['url', 'access_key', 'access_secret', 'insecure'],
      );
      assert.equal(info.fields.find((f) => f.key === 'access_secret')!.type, 'password');
      assert.deepEqual(info.supported_triggers, ['manual', 'scheduled', 'event_based']);
    }
  });
});
