// docs/openapi.yaml is valid OpenAPI, describes exactly the routes the server registers
// (each with an operationId), and is what the server serves.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import SwaggerParser from '@apidevtools/swagger-parser';
import { openApiFile } from '../../server/api/meta.js';
import { createApp } from '../../server/http/app.js';
import { createLogger } from '../../server/log/logger.js';
import { admin, basic } from '../helpers/api.js';
import { startTestRegistry, testAuthDeps, testReplication, type TestRegistry } from '../helpers/inProcess.js';

type Spec = { paths: Record<string, Record<string, { operationId?: string }>> };

describe(`management API description`, () => {
  let r: TestRegistry;
  before(async () => (r = await startTestRegistry()));
  after(async () => r?.close());

  it('is valid OpenAPI 3', async () => {
    await SwaggerParser.validate(openApiFile);
  });

  it('describes every registered route, each with an operationId, and nothing else', async () => {
    const spec = (await SwaggerParser.parse(openApiFile)) as unknown as Spec;
    const app = createApp({ db: r.db, store: r.store, log: createLogger('silent'), auth: await testAuthDeps(r.db), replication: testReplication() });
    const registered = new Set<string>();
    // The console's login lives outside /api/v2.0, as in Harbor; its paths carry their own server.
    for (const layer of [...app.apiRouter.stack, ...app.consoleRouter.stack]) {
      const p = String(layer.path)
        .replace(/^\/api\/v2\.0/, '')
        .replace(/:(\w+)/g, '{$1}');
      // Koa's router answers HEAD with every GET; a HEAD of its own is an operation.
      for (const m of layer.methods.filter((x) => x !== 'HEAD' || !layer.methods.includes('GET'))) registered.add(`${m.toLowerCase()} ${p}`);
    }
    const described = new Set<string>();
    const ids = new Set<string>();
    for (const [p, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(method)) continue;
        described.add(`${method} ${p}`);
        assert.ok(op.operationId, `${method} ${p} has no operationId`);
        assert.ok(!ids.has(op.operationId!), `operationId ${op.operationId} is used twice`);
        ids.add(op.operationId!);
      }
    }
    assert.deepEqual([...registered].sort(), [...described].sort());
  });

  it('is served at /api/v2.0/openapi.yaml, next to ping', async () => {
    const res = await fetch(`${r.url}/api/v2.0/openapi.yaml`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^application\/yaml/);
    assert.equal(await res.text(), await readFile(openApiFile, 'utf8'));
    const ping = await fetch(`${r.url}/api/v2.0/ping`);
    assert.equal(await ping.text(), 'Pong');
    const anonymous = await (await fetch(`${r.url}/api/v2.0/systeminfo`)).json();
    assert.equal(anonymous.auth_mode, 'db_auth');
    assert.ok(!('external_url' in anonymous), 'addresses are for logged-in users');
    const user = await (await fetch(`${r.url}/api/v2.0/systeminfo`, { headers: { Authorization: basic(admin) } })).json();
    assert.equal(user.external_url, r.url);
    assert.equal(user.registry_url, new URL(r.url).host);
    assert.equal(user.project_creation_restriction, 'everyone');
  });
});
