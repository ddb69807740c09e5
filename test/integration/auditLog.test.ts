// The audit log: every change, pull and login appears once with the right fields; a
// rolled-back change leaves nothing; direct SQL edits are found by verify; filters, paging,
// export, permissions and the purge behave as Harbor users expect.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { recordAudit } from '../../server/audit/record.js';
import type { AuditLogView } from '../../server/lib/harborTypes.js';
import { createApp } from '../../server/http/app.js';
import { createLogger } from '../../server/log/logger.js';
import { addMember, admin, basic, createProject, createUser } from '../helpers/api.js';
import { repoRoot } from '../helpers/berthProcess.js';
import { startTestRegistry, testAuthDeps, type TestRegistry } from '../helpers/inProcess.js';
import { pushBlob, pushImage, v2fetch } from '../helpers/v2client.js';

const password = 'Passw0rd-Test';
const owner = { username: 'owner', password };
const dev = { username: 'dev', password };

type Row = AuditLogView;

function tally(rows: Row[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const x of rows) t[x.error_code ?? 'ok'] = (t[x.error_code ?? 'ok'] ?? 0) + x.count;
  return t;
}

describe(`audit log`, function () {
  this.timeout(60_000);
  let r: TestRegistry;
  let projectId: number;

  const as = (user: { username: string; password: string }, extra: Record<string, string> = {}) => ({
    Authorization: basic(user),
    'Content-Type': 'application/json',
    'User-Agent': 'audit-test/1.0',
    ...extra,
  });
  const call = (user: { username: string; password: string }, method: string, p: string, body?: unknown) =>
    fetch(`${r.url}/api/v2.0${p}`, { method, headers: as(user), body: body === undefined ? undefined : JSON.stringify(body) });
  const logs = async (q: string, extra = ''): Promise<Row[]> => {
    await r.flushAudit();
    const res = await fetch(`${r.url}/api/v2.0/audit-logs?page_size=100&q=${encodeURIComponent(q)}${extra}`, { headers: as(admin) });
    assert.equal(res.status, 200, await res.clone().text());
    return res.json();
  };
  const one = async (q: string): Promise<Row> => {
    const rows = await logs(q);
    assert.equal(rows.length, 1, `exactly one row for ${q}, got ${JSON.stringify(rows)}`);
    return rows[0];
  };
  const verify = async () => (await fetch(`${r.url}/api/v2.0/audit-logs/verify`, { headers: as(admin) })).json();

  before(async () => {
    r = await startTestRegistry();
    await createUser(r.url, owner.username, password);
    await createUser(r.url, dev.username, password);
    const res = await call(owner, 'POST', '/projects', { project_name: 'audited' });
    assert.equal(res.status, 201);
    projectId = Number(res.headers.get('Location')!.split('/').pop());
    await addMember(r.url, 'audited', dev.username, 2);
    await createProject(r.url, 'elsewhere');
  });
  after(async () => r?.close());

  it('records a change with its actor, address, agent, request id and project, in the same transaction', async () => {
    const res = await call(owner, 'PUT', '/projects/audited', { metadata: { public: 'true' } });
    assert.equal(res.status, 200);
    const row = await one('resource=audited public=true');
    assert.equal(row.username, 'owner');
    assert.equal(row.actor_type, 'user');
    assert.equal(row.operation, 'update');
    assert.equal(row.resource_type, 'project');
    assert.equal(row.project_id, projectId);
    assert.equal(row.project_name, 'audited');
    assert.equal(row.is_successful, true);
    assert.equal(row.client_address, '127.0.0.1');
    assert.equal(row.user_agent, 'audit-test/1.0');
    assert.equal(row.request_id, res.headers.get('X-Request-Id'));
    const created = await one('operation=create,resource_type=project,resource=audited');
    assert.equal(created.username, 'owner');
    assert.equal((await one('resource_type=project_member,resource=~audited:dev')).operation, 'create');
  });

  it('records each management change once', async () => {
    const robot = await (
      await call(owner, 'POST', '/robots', {
        name: 'ci',
        level: 'project',
        duration: -1,
        permissions: [{ kind: 'project', namespace: 'audited', access: [{ resource: 'repository', action: 'pull' }] }],
      })
    ).json();
    assert.equal((await call(owner, 'PUT', `/robots/${robot.id}`, { description: 'changed' })).status, 200);
    assert.equal((await call(owner, 'PATCH', `/robots/${robot.id}`, {})).status, 200);
    assert.equal((await call(owner, 'DELETE', `/robots/${robot.id}`)).status, 200);
    const robotRows = await logs('resource_type=robot', '&sort=op_time');
    assert.deepEqual(
      robotRows.map((x) => [x.operation, x.resource]),
      [
        ['create', 'robot$audited+ci'],
        ['update', 'robot$audited+ci'],
        ['update', 'robot$audited+ci secret refreshed'],
        ['delete', 'robot$audited+ci'],
      ],
    );
    assert.ok(robotRows.every((x) => x.project_id === projectId));

    const member = (await (await call(owner, 'GET', '/projects/audited/members?entityname=dev')).json())[0];
    assert.equal((await call(owner, 'PUT', `/projects/audited/members/${member.id}`, { role_id: 3 })).status, 200);
    assert.equal((await one('operation=update,resource_type=project_member')).resource, 'audited:dev role=guest');
    assert.equal((await call(owner, 'PUT', `/projects/audited/members/${member.id}`, { role_id: 2 })).status, 200);

    await createUser(r.url, 'temp', password);
    const temp = (await (await call(admin, 'GET', '/users?username=temp')).json())[0];
    assert.equal((await call(admin, 'PUT', `/users/${temp.user_id}/password`, { new_password: 'Other-Passw0rd' })).status, 200);
    assert.equal((await call(admin, 'DELETE', `/users/${temp.user_id}`)).status, 200);
    assert.deepEqual(
      (await logs('resource_type=user,resource=~temp', '&sort=op_time')).map((x) => [x.operation, x.username]),
      [
        ['create', 'admin'],
        ['update', 'admin'],
        ['delete', 'admin'],
      ],
    );

    assert.equal((await call(admin, 'PUT', `/quotas/${projectId}`, { hard: { storage: 10_000_000 } })).status, 200);
    assert.equal((await one('resource_type=quota')).resource, 'audited storage=10000000');
  });

  it('records pushes, pulls, tags and deletes on /v2 and the API; HEAD is not a pull', async () => {
    const { digest } = await pushImage(r.url, 'audited/app', 'v1');
    const push = await one(`operation=create,resource_type=artifact,resource=audited/app:v1@${digest}`);
    assert.equal(push.username, 'admin');
    assert.equal(push.project_id, projectId);
    await v2fetch(`${r.url}/v2/audited/app/manifests/v1`, { method: 'HEAD' });
    const pulled = await v2fetch(`${r.url}/v2/audited/app/manifests/v1`);
    assert.equal(pulled.status, 200);
    const pull = await one('operation=pull');
    assert.equal(pull.resource, `audited/app:v1@${digest}`);
    assert.equal(pull.project_id, projectId);

    const base = `/projects/audited/repositories/app/artifacts/${digest}`;
    assert.equal((await call(owner, 'POST', `${base}/tags`, { name: 'v2' })).status, 201);
    assert.equal((await call(owner, 'DELETE', `${base}/tags/v2`)).status, 200);
    assert.deepEqual(
      (await logs('resource_type=tag', '&sort=op_time')).map((x) => [x.operation, x.resource]),
      [
        ['create', `audited/app:v2@${digest}`],
        ['delete', `audited/app:v2@${digest}`],
      ],
    );
    assert.equal((await v2fetch(`${r.url}/v2/audited/app/manifests/v1`, { method: 'DELETE' })).status, 202);
    assert.equal((await one('operation=delete,resource_type=tag,resource=audited/app:v1')).username, 'admin');
    assert.equal((await call(owner, 'DELETE', base)).status, 200);
    assert.equal((await one(`operation=delete,resource_type=artifact`)).resource, `audited/app@${digest}`);
    assert.equal((await call(owner, 'DELETE', '/projects/audited/repositories/app')).status, 200);
    assert.equal((await one('operation=delete,resource_type=repository')).resource, 'audited/app');
  });

  it('records logins: every token request, Basic once per process, failures and throttling always, console login and logout', async () => {
    const q = new URLSearchParams({ service: 'berth', scope: 'repository:audited/app:pull' });
    for (let i = 0; i < 2; i++) assert.equal((await fetch(`${r.url}/service/token?${q}`, { headers: as(dev) })).status, 200);
    assert.equal((await fetch(`${r.url}/service/token?${q}`, { headers: as({ username: 'dev', password: 'Wrong-Passw0rd' }) })).status, 401);
    for (let i = 0; i < 3; i++) await call(dev, 'GET', '/users/current');
    const rows = await logs('operation=login,username=dev', '&sort=op_time');
    // Identical events waiting in the queue share a row (its count); how they fall into
    // rows depends on when the writer flushed, so the test sums the counts per outcome.
    assert.deepEqual(tally(rows), { ok: 2, UNAUTHORIZED: 1 }, 'a token request is a login each time; Basic API calls after it reuse the verified password');
    assert.ok(rows.every((x) => x.resource_type === 'user_login_logout' && x.resource === 'dev' && x.actor_type === 'user'));

    const login = await fetch(`${r.url}/c/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `principal=owner&password=${password}`,
    });
    const sid = /^sid=([^;]+)/.exec(login.headers.getSetCookie()[0])![1];
    await fetch(`${r.url}/c/log_out`, { headers: { Cookie: `sid=${sid}` } });
    assert.deepEqual((await logs('resource_type=user_login_logout,username=owner', '&sort=op_time')).map((x) => x.operation).slice(-2), ['login', 'logout']);

    for (let i = 0; i < 11; i++) await fetch(`${r.url}/service/token?${q}`, { headers: as({ username: 'ghost', password: 'Wrong-Passw0rd' }) });
    const ghost = await logs('username=ghost', '&sort=op_time');
    assert.deepEqual(tally(ghost), { UNAUTHORIZED: 10, TOO_MANY_REQUESTS: 1 });
  });

  it('records refused changes as failures, but not the anonymous challenge that starts a token handshake', async () => {
    const before = (await logs('operation=create,resource_type=blob')).length;
    const anonymous = await fetch(`${r.url}/v2/audited/app/blobs/uploads/`, { method: 'POST' });
    assert.equal(anonymous.status, 401);
    assert.equal((await logs('operation=create,resource_type=blob')).length, before);
    await pushImage(r.url, 'audited/keep', 'v1');
    const refused = await fetch(`${r.url}/v2/audited/keep/manifests/v1`, { method: 'DELETE', headers: { Authorization: basic(dev) } });
    assert.equal(refused.status, 403);
    const row = await one('operation=delete,username=dev');
    assert.equal(row.is_successful, false);
    assert.equal(row.error_code, 'DENIED');
    assert.equal(row.resource, 'audited/keep:v1');
    assert.equal(row.project_id, projectId);
  });

  it('leaves no row for a change that rolled back', async () => {
    const head = await r.db.query<{ last_id: number }>('SELECT last_id FROM audit_chain');
    // A manifest whose layer is missing fails inside the push transaction.
    const config = await pushBlob(r.url, 'audited/broken', Buffer.from('{}'));
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${'a'.repeat(64)}`, size: 1 }],
    });
    const put = await v2fetch(`${r.url}/v2/audited/broken/manifests/v1`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      body: manifest,
    });
    assert.equal(put.status, 400);
    // Adding an existing member conflicts inside the membership transaction.
    assert.equal((await call(owner, 'POST', '/projects/audited/members', { role_id: 2, member_user: { username: 'dev' } })).status, 409);
    await r.flushAudit();
    const rows = await r.db.query<{ operation: string; resource: string }>('SELECT operation, resource FROM audit_log WHERE id > $1', [head.rows[0].last_id]);
    assert.deepEqual(
      rows.rows.filter((x) => x.operation !== 'login'),
      [],
      'no row for the failed push or the conflicting member',
    );
    assert.equal((await verify()).intact, true);
  });

  it('shows a project admin their project only; developers and non-admins get 403', async () => {
    const mine = await (await fetch(`${r.url}/api/v2.0/projects/audited/logs?page_size=100`, { headers: as(owner) })).json();
    assert.ok(mine.length > 5);
    assert.ok(mine.every((x: Row) => x.project_id === projectId));
    assert.equal((await fetch(`${r.url}/api/v2.0/projects/audited/logs`, { headers: as(dev) })).status, 403);
    assert.equal(
      (await fetch(`${r.url}/api/v2.0/projects/elsewhere/logs`, { headers: as(owner) })).status,
      404,
      'a private project of others is not disclosed',
    );
    assert.equal((await fetch(`${r.url}/api/v2.0/audit-logs`, { headers: as(owner) })).status, 403);
    assert.equal((await fetch(`${r.url}/api/v2.0/audit-logs`)).status, 401);
    assert.equal((await fetch(`${r.url}/api/v2.0/audit-logs/verify`, { headers: as(owner) })).status, 403);
  });

  it('filters by operation, user, resource and time range; pages with Link cursors; refuses unknown keys', async () => {
    const all = await logs('');
    assert.ok(all.length > 20);
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].id > all[i].id, 'newest first');
    const t = new Date(all[Math.floor(all.length / 2)].op_time);
    const iso = (d: Date) => d.toISOString().slice(0, 19);
    const ranged = await logs(`op_time=[${iso(new Date(t.getTime() - 1000))}~${iso(new Date(t.getTime() + 1000))}]`);
    assert.ok(ranged.length >= 1 && ranged.every((x) => Math.abs(new Date(x.op_time).getTime() - t.getTime()) <= 2000));
    assert.ok((await logs('username=owner')).every((x) => x.username === 'owner'));
    assert.ok((await logs('resource=~robot$')).every((x) => x.resource.includes('robot$')));

    const first = await fetch(`${r.url}/api/v2.0/audit-logs?page_size=5`, { headers: as(admin) });
    const total = Number(first.headers.get('X-Total-Count'));
    assert.ok(total >= all.length);
    let link = first.headers.get('Link');
    const seen = (await first.json()).map((x: Row) => x.id);
    while (link && /rel="next"/.test(link)) {
      const next = /<([^>]+)>; rel="next"/.exec(link)![1];
      assert.match(next, /cursor=\d+/);
      const res = await fetch(`${r.url}${next}`, { headers: as(admin) });
      seen.push(...(await res.json()).map((x: Row) => x.id));
      link = res.headers.get('Link');
    }
    assert.equal(seen.length, total, 'following next links visits every row once');
    assert.equal(new Set(seen).size, total);
    const page3 = await (await fetch(`${r.url}/api/v2.0/audit-logs?page_size=5&page=3`, { headers: as(admin) })).json();
    assert.deepEqual(
      page3.map((x: Row) => x.id),
      seen.slice(10, 15),
      'page numbers agree with the cursor walk',
    );
    const filteredPage = await fetch(`${r.url}/api/v2.0/audit-logs?page_size=2&page=2&q=${encodeURIComponent('username=owner')}`, { headers: as(admin) });
    const owners = (await logs('username=owner')).map((x) => x.id);
    assert.equal(Number(filteredPage.headers.get('X-Total-Count')), owners.length);
    assert.deepEqual(
      (await filteredPage.json()).map((x: Row) => x.id),
      owners.slice(2, 4),
    );

    assert.equal((await fetch(`${r.url}/api/v2.0/audit-logs?q=hash=x`, { headers: as(admin) })).status, 400);
    assert.equal((await fetch(`${r.url}/api/v2.0/audit-logs?q=op_time=yesterday`, { headers: as(admin) })).status, 400);
    assert.equal((await fetch(`${r.url}/api/v2.0/audit-logs?sort=resource`, { headers: as(admin) })).status, 400);
  });

  it('exports a filtered range as JSON Lines and CSV, oldest first', async () => {
    const expected = (await logs('username=owner')).reverse();
    const jsonl = await fetch(`${r.url}/api/v2.0/audit-logs/export?format=jsonl&q=username=owner`, { headers: as(admin) });
    assert.equal(jsonl.status, 200);
    const lines = (await jsonl.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((x) => x.id),
      expected.map((x) => x.id),
    );
    const csv = await (await fetch(`${r.url}/api/v2.0/audit-logs/export?format=csv&q=username=owner`, { headers: as(admin) })).text();
    const csvLines = csv.trim().split('\n');
    assert.match(csvLines[0], /^id,op_time,username,actor_type,client_address,operation/);
    assert.equal(csvLines.length, expected.length + 1);
    assert.equal((await fetch(`${r.url}/api/v2.0/audit-logs/export?format=xml`, { headers: as(admin) })).status, 400);
  });

  it('takes the client address from X-Forwarded-For, and the request id from X-Request-Id, only behind a trusted proxy', async () => {
    const auth = await testAuthDeps(r.db);
    const trusting = createApp({ db: r.db, store: r.store, log: createLogger('silent'), auth, trustedProxies: ['loopback'] });
    const server = http.createServer(trusting.callback());
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const headers = { ...as(owner), 'X-Forwarded-For': '198.51.100.9, 203.0.113.7' };
      await fetch(`${url}/api/v2.0/projects`, { method: 'POST', headers, body: JSON.stringify({ project_name: 'proxied' }) });
      await fetch(`${r.url}/api/v2.0/projects`, { method: 'POST', headers, body: JSON.stringify({ project_name: 'direct' }) });
      await trusting.auditWriter.close();
      assert.equal((await one('operation=create,resource=proxied')).client_address, '203.0.113.7', 'the nearest address the trusted proxy saw');
      assert.equal((await one('operation=create,resource=direct')).client_address, '127.0.0.1', 'an untrusted peer cannot claim an address');
      // The proxy's request id becomes the request's, so both logs name the same request.
      const tagged = { ...as(owner), 'X-Request-Id': 'nginx-5f2c9a1e7b3d' };
      const proxied = await fetch(`${url}/api/v2.0/projects`, { method: 'POST', headers: tagged, body: JSON.stringify({ project_name: 'tagged' }) });
      assert.equal(proxied.headers.get('x-request-id'), 'nginx-5f2c9a1e7b3d');
      const direct = await fetch(`${r.url}/api/v2.0/projects`, { method: 'POST', headers: tagged, body: JSON.stringify({ project_name: 'untagged' }) });
      assert.match(direct.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/, 'an untrusted peer cannot choose the id');
      const bad = await fetch(`${url}/api/v2.0/projects`, {
        method: 'POST',
        headers: { ...tagged, 'X-Request-Id': 'two words' },
        body: JSON.stringify({ project_name: 'badly-tagged' }),
      });
      assert.match(bad.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/, 'a malformed id is replaced');
      await trusting.auditWriter.close();
      assert.equal((await one('operation=create,resource=tagged')).request_id, 'nginx-5f2c9a1e7b3d');
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });

  it('detects an UPDATE, a DELETE in the middle and a truncated tail made directly in SQL; npm run audit:verify agrees', async () => {
    assert.equal((await verify()).intact, true);
    const ids = (await r.db.query<{ id: number }>('SELECT id FROM audit_log ORDER BY id')).rows.map((x) => x.id);
    const target = ids[Math.floor(ids.length / 2)];
    const original = (await r.db.query<{ username: string }>('SELECT username FROM audit_log WHERE id = $1', [target])).rows[0].username;
    await r.db.query(`UPDATE audit_log SET username = 'someone-else' WHERE id = $1`, [target]);
    let result = await verify();
    assert.equal(result.intact, false);
    assert.equal(result.first_bad_id, target);
    assert.match(result.reason, /changed/);
    if (r.databaseUrl) {
      // The CLI reads the same database with the server's settings and fails with the bad row.
      const cli = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'server/audit/verifyCli.ts')], {
        cwd: repoRoot,
        env: { PATH: process.env.PATH, DATABASE_URL: r.databaseUrl },
      }).then(
        (ok) => ({ code: 0, stdout: ok.stdout }),
        (err: { code: number; stdout: string }) => err,
      );
      assert.equal(cli.code, 1);
      assert.equal(JSON.parse(cli.stdout).first_bad_id, target);
    }
    await r.db.query('UPDATE audit_log SET username = $2 WHERE id = $1', [target, original]);
    assert.equal((await verify()).intact, true);

    // Rows are kept aside in a table and put back, so the chain is whole again afterwards.
    await r.db.query('CREATE TABLE audit_saved AS SELECT * FROM audit_log WHERE id = $1 OR id = $2', [ids[3], ids.at(-1)]);
    await r.db.query('DELETE FROM audit_log WHERE id = $1', [ids[3]]);
    result = await verify();
    assert.equal(result.first_bad_id, ids[3]);
    assert.match(result.reason, /missing/);
    await r.db.query('INSERT INTO audit_log SELECT * FROM audit_saved WHERE id = $1', [ids[3]]);
    const head = (await r.db.query<{ last_id: number }>('SELECT last_id FROM audit_chain')).rows[0].last_id;
    await r.db.query('DELETE FROM audit_log WHERE id = $1', [head]);
    result = await verify();
    assert.equal(result.intact, false);
    assert.equal(result.first_bad_id, head, 'a truncated tail is found against the chain head');
    await r.db.query('INSERT INTO audit_log SELECT * FROM audit_saved WHERE id = $1', [head]);
    await r.db.query('DROP TABLE audit_saved');
    if (head === ids.at(-1)) assert.equal((await verify()).intact, true);
  });
});

describe(`audit log retention`, function () {
  this.timeout(60_000);
  let r: TestRegistry;
  before(async () => (r = await startTestRegistry()));
  after(async () => r?.close());

  it('purges the oldest rows as a prefix, keeps an anchor so the chain still verifies, and records the purge; a dry run only counts', async () => {
    const old = new Date(Date.now() - 48 * 3_600_000);
    await r.db.tx((q) =>
      recordAudit(
        q,
        Array.from({ length: 5 }, (_, i) => ({ operation: 'create' as const, resourceType: 'project', resource: `old-${i}`, opTime: old })),
      ),
    );
    await createProject(r.url, 'fresh');
    const headers = { Authorization: basic(admin), 'Content-Type': 'application/json' };
    const purge = (body: unknown) => fetch(`${r.url}/api/v2.0/audit-logs/purge`, { method: 'POST', headers, body: JSON.stringify(body) });
    const count = async () => Number((await fetch(`${r.url}/api/v2.0/audit-logs`, { headers })).headers.get('X-Total-Count'));
    const before = await count();
    const dry = await (await purge({ retention_hours: 24, dry_run: true })).json();
    assert.equal(dry.rows, 5);
    assert.equal(dry.dry_run, true);
    assert.equal(await count(), before, 'a dry run deletes nothing');
    const done = await (await purge({ retention_hours: 24 })).json();
    assert.equal(done.rows, 5);
    assert.equal(await count(), before - 5 + 1, 'five rows gone, the purge itself recorded');
    const verified = await (await fetch(`${r.url}/api/v2.0/audit-logs/verify`, { headers })).json();
    assert.equal(verified.intact, true);
    assert.equal(verified.first_id, 6);
    const row = (await (await fetch(`${r.url}/api/v2.0/audit-logs?q=operation=purge`, { headers })).json())[0];
    assert.equal(row.username, 'admin');
    assert.match(row.resource, /^5 rows before /);
    assert.equal((await purge({ retention_hours: 0 })).status, 400);
    await createUser(r.url, 'plain', password);
    const notAdmin = await fetch(`${r.url}/api/v2.0/audit-logs/purge`, {
      method: 'POST',
      headers: { ...headers, Authorization: basic({ username: 'plain', password }) },
      body: '{"retention_hours":1}',
    });
    assert.equal(notAdmin.status, 403);
    assert.equal((await fetch(`${r.url}/api/v2.0/audit-logs/purge`, { method: 'POST', body: '{"retention_hours":1}' })).status, 401);
  });
});
