// Who may do what: every role x every /v2 action on a private and a public project,
// checked through real requests (Basic on /v2, and the token flow), plus the token
// endpoint's partial grants, throttling and the mount rule.
import assert from 'node:assert/strict';
import { can, roleIds, type RoleName } from '../../server/projects/permissions.js';
import { addMember, admin, basic, createProject, createUser } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { pushImage, randomBlob, asBody } from '../helpers/v2client.js';

const password = 'Passw0rd-Test';
const roles = Object.keys(roleIds) as RoleName[];
type Caller = RoleName | 'outsider' | 'anonymous';
const callers: Caller[] = [...roles, 'outsider', 'anonymous'];
const userOf = (c: Caller) => ({ username: `u-${c.toLowerCase()}`, password });

async function v2(r: TestRegistry, caller: Caller, method: string, path: string, body?: Buffer): Promise<Response> {
  const headers: Record<string, string> = caller === 'anonymous' ? {} : { Authorization: basic(userOf(caller)) };
  return fetch(`${r.url}${path}`, { method, headers, body: body ? asBody(body) : undefined });
}

async function token(r: TestRegistry, user: { username: string; password: string } | undefined, ...scopes: string[]): Promise<Response> {
  const q = new URLSearchParams({ service: 'berth' });
  for (const s of scopes) q.append('scope', s);
  return fetch(`${r.url}/service/token?${q}`, { headers: user ? { Authorization: basic(user) } : {} });
}

describe(`access control`, function () {
  this.timeout(120_000);
  let r: TestRegistry;
  before(async () => {
    r = await startTestRegistry();
    for (const p of ['priv', 'pub']) await createProject(r.url, p, { public: p === 'pub' });
    for (const c of callers.filter((c) => c !== 'anonymous')) await createUser(r.url, userOf(c).username, password);
    for (const role of roles) for (const p of ['priv', 'pub']) await addMember(r.url, p, userOf(role).username, roleIds[role]);
    for (const p of ['priv', 'pub']) await pushImage(r.url, `${p}/app`, 'v1');
  });
  after(async () => r?.close());

  // The request each /v2 action is checked with; "allowed" means neither 401 nor 403.
  const actions = {
    pull: (c: Caller, p: string) => v2(r, c, 'GET', `/v2/${p}/app/manifests/v1`),
    push: (c: Caller, p: string) => v2(r, c, 'POST', `/v2/${p}/app/blobs/uploads/`),
    delete: (c: Caller, p: string) => v2(r, c, 'DELETE', `/v2/${p}/app/manifests/no-such-tag`),
  } as const;

  for (const project of ['priv', 'pub']) {
    for (const caller of callers) {
      for (const [action, request] of Object.entries(actions)) {
        const expected = can(
          { sysadmin: false, role: roles.includes(caller as RoleName) ? (caller as RoleName) : undefined, projectPublic: project === 'pub' },
          'repository',
          action as 'pull',
        );
        it(`${caller} ${expected ? 'may' : 'may not'} ${action} in ${project}`, async () => {
          const res = await request(caller, project);
          const text = await res.text();
          const refused = res.status === 401 || res.status === 403;
          assert.equal(!refused, expected, `${res.status} ${text}`);
          if (refused && caller === 'anonymous') {
            assert.equal(res.status, 401);
            assert.match(
              res.headers.get('www-authenticate')!,
              new RegExp(`^Bearer realm="${r.url}/service/token",service="berth",scope="repository:${project}/app:`),
            );
          }
          if (refused && caller !== 'anonymous') assert.equal(JSON.parse(text).errors[0].code, 'DENIED');
        });
      }
    }
  }

  it('gives an outsider the same answer for existing and missing repositories of a private project', async () => {
    const existing = await v2(r, 'outsider', 'GET', '/v2/priv/app/manifests/v1');
    const missing = await v2(r, 'outsider', 'GET', '/v2/priv/nothing-here/manifests/v1');
    assert.equal(existing.status, missing.status);
    assert.deepEqual((await existing.json()).errors[0].code, (await missing.json()).errors[0].code);
  });

  it('refuses a push into a project that does not exist, saying so', async () => {
    const res = await v2(r, 'developer', 'POST', '/v2/nosuchproject/app/blobs/uploads/');
    assert.equal(res.status, 404);
    assert.match((await res.json()).errors[0].message, /project nosuchproject does not exist/);
  });

  it('grants the intersection of what was asked and what is allowed', async () => {
    const res = await token(r, userOf('guest'), 'repository:priv/app:pull,push,delete', 'repository:pub/app:pull', 'registry:catalog:*');
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.ok(body.token && body.access_token && body.expires_in > 0 && body.issued_at);
    const claims = JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString());
    assert.deepEqual(claims.access, [
      { type: 'repository', name: 'priv/app', actions: ['pull'] },
      { type: 'repository', name: 'pub/app', actions: ['pull'] },
      { type: 'registry', name: 'catalog', actions: [] },
    ]);
    // The token works for what it grants, and only that.
    const auth = { Authorization: `Bearer ${body.token}` };
    assert.equal((await fetch(`${r.url}/v2/priv/app/manifests/v1`, { headers: auth })).status, 200);
    const push = await fetch(`${r.url}/v2/priv/app/blobs/uploads/`, { method: 'POST', headers: auth });
    assert.equal(push.status, 401);
    assert.match(push.headers.get('www-authenticate')!, /error="insufficient_scope"/);
    assert.equal((await fetch(`${r.url}/v2/priv/other/manifests/v1`, { headers: auth })).status, 401, 'a token for priv/app grants nothing on priv/other');
  });

  it('answers wrong credentials with 401, never with an anonymous token', async () => {
    assert.equal((await token(r, { username: 'u-developer', password: 'wrong' }, 'repository:pub/app:pull')).status, 401);
    assert.equal((await token(r, undefined)).status, 401);
    const anon = await token(r, undefined, 'repository:pub/app:pull', 'repository:priv/app:pull');
    const claims = JSON.parse(Buffer.from((await anon.json()).token.split('.')[1], 'base64url').toString());
    assert.deepEqual(
      claims.access.map((a: { actions: string[] }) => a.actions),
      [['pull'], []],
    );
  });

  it('accepts the OAuth2 password grant (containerd) and refuses refresh tokens', async () => {
    const form = new URLSearchParams({ grant_type: 'password', username: 'u-developer', password, service: 'berth', scope: 'repository:priv/app:pull,push' });
    const res = await fetch(`${r.url}/service/token`, { method: 'POST', body: form });
    assert.equal(res.status, 200);
    const { access_token } = await res.json();
    const up = await fetch(`${r.url}/v2/priv/app/blobs/uploads/`, { method: 'POST', headers: { Authorization: `Bearer ${access_token}` } });
    assert.equal(up.status, 202);
    const refresh = await fetch(`${r.url}/service/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x' }) });
    assert.equal(refresh.status, 400);
  });

  it('lists the catalog for system administrators only', async () => {
    assert.equal((await fetch(`${r.url}/v2/_catalog`, { headers: { Authorization: basic(admin) } })).status, 200);
    assert.equal((await v2(r, 'projectAdmin', 'GET', '/v2/_catalog')).status, 403);
    const anon = await v2(r, 'anonymous', 'GET', '/v2/_catalog');
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate')!, /scope="registry:catalog:\*"/);
  });

  it('answers /v2/ with 401 and a challenge to anonymous callers, 200 to users', async () => {
    const anon = await v2(r, 'anonymous', 'GET', '/v2/');
    assert.equal(anon.status, 401);
    assert.equal(anon.headers.get('www-authenticate'), `Bearer realm="${r.url}/service/token",service="berth"`);
    assert.equal((await v2(r, 'guest', 'GET', '/v2/')).status, 200);
  });

  it('mounts only from repositories the caller may pull, else starts a normal upload', async () => {
    const blob = randomBlob(1000);
    const put = await fetch(`${r.url}/v2/priv/app/blobs/uploads/?digest=${blob.digest}`, {
      method: 'POST',
      headers: { Authorization: basic(admin) },
      body: asBody(blob.data),
    });
    assert.equal(put.status, 201);
    await createProject(r.url, 'devonly');
    await addMember(r.url, 'devonly', 'u-outsider', roleIds.developer);
    const refused = await v2(r, 'outsider', 'POST', `/v2/devonly/app/blobs/uploads/?mount=${blob.digest}&from=priv/app`);
    assert.equal(refused.status, 202, 'no access to the source: a plain upload session');
    const mounted = await v2(r, 'developer', 'POST', `/v2/priv/app2/blobs/uploads/?mount=${blob.digest}&from=priv/app`);
    assert.equal(mounted.status, 201);
  });

  it('refuses a request body of a refused push before reading it', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024);
    const res = await v2(r, 'guest', 'POST', `/v2/priv/app/blobs/uploads/?digest=sha256:${'0'.repeat(64)}`, big);
    assert.equal(res.status, 403);
  });

  it('throttles repeated failed logins per user', async () => {
    await createUser(r.url, 'victim', password);
    let last = 0;
    for (let i = 0; i < 11; i++) last = (await token(r, { username: 'victim', password: `wrong-${i}` }, 'repository:pub/app:pull')).status;
    assert.equal(last, 429);
    assert.equal((await token(r, { username: 'victim', password }, 'repository:pub/app:pull')).status, 429, 'even the right password waits out the window');
  });
});
