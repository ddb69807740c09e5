// The console's session login: POST /c/login sets an HTTP-only SameSite cookie; unsafe API
// requests made with it need the CSRF header; logout, expiry, password changes and user
// deletion end sessions on every node.
import assert from 'node:assert/strict';
import http from 'node:http';
import { createApp } from '../../server/http/app.js';
import { createLogger } from '../../server/log/logger.js';
import { hashSessionId } from '../../server/auth/sessions.js';
import { admin, basic, createUser } from '../helpers/api.js';
import { startTestRegistry, testAuthDeps, type TestRegistry } from '../helpers/inProcess.js';

const password = 'Passw0rd-Test';
const alice = { username: 'alice', password };

interface Session {
  sid: string;
  csrf: string;
  setCookie: string;
}

describe(`console session login`, function () {
  this.timeout(60_000);
  let r: TestRegistry;
  // A second node on the same database, reached at an https external URL (TLS in front).
  let other: { url: string; server: http.Server };

  const login = async (base: string, user: { username: string; password: string }, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${base}/c/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ principal: user.username, password: user.password }).toString(),
    });
  const session = async (user: { username: string; password: string }, base = r.url): Promise<Session> => {
    const res = await login(base, user);
    assert.equal(res.status, 200, await res.clone().text());
    const setCookie = res.headers.getSetCookie()[0];
    const sid = /^sid=([^;]+)/.exec(setCookie)![1];
    return { sid, csrf: res.headers.get('X-Harbor-CSRF-Token')!, setCookie };
  };
  const api = (s: Session | undefined, path: string, init: RequestInit & { csrf?: string } = {}, base = r.url): Promise<Response> =>
    fetch(`${base}/api/v2.0${path}`, {
      ...init,
      headers: {
        ...(s ? { Cookie: `sid=${s.sid}` } : {}),
        ...(init.csrf ? { 'X-Harbor-CSRF-Token': init.csrf } : {}),
        'Content-Type': 'application/json',
        ...(init.headers as Record<string, string>),
      },
    });
  const currentUser = async (s: Session, base = r.url) => {
    const res = await api(s, '/users/current', {}, base);
    return res.status === 200 ? ((await res.json()) as { username: string }).username : res.status;
  };

  before(async () => {
    r = await startTestRegistry();
    await createUser(r.url, alice.username, password);
    const auth = { ...(await testAuthDeps(r.db)), externalUrl: 'https://registry.example.com' };
    const server = http.createServer(createApp({ db: r.db, store: r.store, log: createLogger('silent'), auth }).callback());
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
    other = { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
  });
  after(async () => {
    other?.server.closeAllConnections();
    await new Promise((done) => other?.server.close(done));
    await r?.close();
  });

  it('logs in with a form and sets an HTTP-only SameSite cookie and the CSRF token; the id is stored only hashed', async () => {
    const s = await session(alice);
    assert.match(s.setCookie, /^sid=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/, 'no Secure on plain HTTP without an https external URL');
    assert.match(s.csrf, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await currentUser(s), 'alice');
    const rows = (await r.db.query<{ id_hash: string; csrf_token: string }>('SELECT id_hash, csrf_token FROM sessions')).rows;
    assert.ok(rows.some((row) => row.id_hash === hashSessionId(s.sid)));
    assert.ok(!JSON.stringify(rows).includes(s.sid), 'the session id itself is never stored');
    // GET responses repeat the token, so a reloaded console can read it again.
    assert.equal((await api(s, '/users/current')).headers.get('X-Harbor-CSRF-Token'), s.csrf);
  });

  it('accepts JSON too, and refuses wrong or missing credentials and robots without setting a cookie', async () => {
    const json = await fetch(`${r.url}/c/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ principal: 'alice', password }),
    });
    assert.equal(json.status, 200);
    const wrong = await login(r.url, { username: 'alice', password: 'Wrong-Passw0rd' });
    assert.equal(wrong.status, 401);
    assert.equal((await wrong.json()).errors[0].code, 'UNAUTHORIZED');
    assert.deepEqual(wrong.headers.getSetCookie(), []);
    assert.equal((await login(r.url, { username: 'nobody', password })).status, 401);
    const robot = await (
      await fetch(`${r.url}/api/v2.0/robots`, {
        method: 'POST',
        headers: { Authorization: basic(admin), 'Content-Type': 'application/json' },
        body: JSON.stringify({
          name: 'console',
          level: 'system',
          duration: -1,
          permissions: [{ kind: 'project', namespace: '*', access: [{ resource: 'repository', action: 'pull' }] }],
        }),
      })
    ).json();
    assert.equal((await login(r.url, { username: robot.name, password: robot.secret })).status, 401, 'robots never log in to the console');
    const missing = await fetch(`${r.url}/c/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'principal=alice',
    });
    assert.equal(missing.status, 400);
    const xml = await fetch(`${r.url}/c/login`, { method: 'POST', headers: { 'Content-Type': 'application/xml' }, body: '<login/>' });
    assert.equal(xml.status, 400);
    assert.equal((await fetch(`${r.url}/c/login`)).status, 405);
  });

  it('throttles repeated failures for a user name with 429', async () => {
    await createUser(r.url, 'bob', password);
    let last = 0;
    for (let i = 0; i < 11; i++) last = (await login(r.url, { username: 'bob', password: 'Wrong-Passw0rd' })).status;
    assert.equal(last, 429);
    assert.equal((await login(r.url, { username: 'bob', password })).status, 429, 'even the right password waits out the window');
  });

  it('refuses an unsafe request made with the cookie but without the right CSRF header, and accepts it with', async () => {
    const s = await session(alice);
    const body = JSON.stringify({ project_name: 'alices', metadata: { public: 'false' } });
    const none = await api(s, '/projects', { method: 'POST', body });
    assert.equal(none.status, 403);
    assert.match((await none.json()).errors[0].message, /CSRF/);
    assert.equal((await api(s, '/projects', { method: 'POST', body, csrf: 'x'.repeat(43) })).status, 403);
    const someoneElses = await session(alice);
    assert.equal((await api(s, '/projects', { method: 'POST', body, csrf: someoneElses.csrf })).status, 403, "another session's token does not do");
    assert.equal(
      (await api(undefined, '/projects/alices', { headers: { Authorization: basic(admin), 'X-Is-Resource-Name': 'true' } })).status,
      404,
      'nothing was created',
    );
    assert.equal((await api(s, '/projects', { method: 'POST', body, csrf: s.csrf })).status, 201);
    const del = await api(s, '/projects/alices', { method: 'DELETE', csrf: s.csrf, headers: { 'X-Is-Resource-Name': 'true' } });
    assert.equal(del.status, 200);
  });

  it('applies the permission table to session users as to Basic ones', async () => {
    const s = await session(alice);
    const res = await api(s, '/users', { method: 'POST', csrf: s.csrf, body: JSON.stringify({ username: 'carol', password }) });
    assert.equal(res.status, 403);
    const a = await session(admin);
    assert.equal((await api(a, '/users', { method: 'POST', csrf: a.csrf, body: JSON.stringify({ username: 'carol', password }) })).status, 201);
  });

  it('lets an Authorization header win over the cookie (no CSRF rule for scripts)', async () => {
    const a = await session(admin);
    const res = await api(a, '/users/current', { headers: { Authorization: basic(alice) } });
    assert.equal((await res.json()).username, 'alice');
    const post = await api(a, '/projects', { method: 'POST', headers: { Authorization: basic(alice) }, body: JSON.stringify({ project_name: 'scripted' }) });
    assert.equal(post.status, 201, 'Basic needs no CSRF header even with a cookie present');
  });

  it('logs out on one node and the session is gone on the other; a stale cookie is cleared and treated as anonymous', async () => {
    const s = await session(alice);
    assert.equal(await currentUser(s, other.url), 'alice', 'any node accepts the session');
    const out = await fetch(`${r.url}/c/log_out`, { headers: { Cookie: `sid=${s.sid}` } });
    assert.equal(out.status, 200);
    assert.match(out.headers.getSetCookie()[0], /^sid=; Max-Age=0; Path=\//);
    assert.equal(await currentUser(s, other.url), 401);
    const stale = await api(s, '/users/current');
    assert.match(stale.headers.getSetCookie()[0] ?? '', /^sid=; Max-Age=0/);
    assert.equal((await fetch(`${r.url}/c/log_out`)).status, 200, 'logging out without a session is fine');
  });

  it('expires idle sessions and slides the expiry of active ones', async () => {
    const s = await session(alice);
    const idHash = hashSessionId(s.sid);
    await r.db.query(`UPDATE sessions SET expires_at = now() + interval '1 minute' WHERE id_hash = $1`, [idHash]);
    assert.equal(await currentUser(s), 'alice');
    const { rows } = await r.db.query<{ left: number }>(`SELECT extract(epoch FROM expires_at - now())::int AS left FROM sessions WHERE id_hash = $1`, [
      idHash,
    ]);
    assert.ok(rows[0].left > 55 * 60, `renewed to the full hour, not ${rows[0].left}s`);
    await r.db.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id_hash = $1`, [idHash]);
    assert.equal(await currentUser(s), 401);
  });

  it("ends the other sessions on a password change, keeps the caller's own, and ends all on an admin reset or user deletion", async () => {
    await createUser(r.url, 'dave', password);
    const dave = { username: 'dave', password };
    const [mine, elsewhere] = [await session(dave), await session(dave)];
    const me = await (await api(mine, '/users/current')).json();
    const newPassword = 'N3w-Password';
    const change = await api(mine, `/users/${me.user_id}/password`, {
      method: 'PUT',
      csrf: mine.csrf,
      body: JSON.stringify({ old_password: password, new_password: newPassword }),
    });
    assert.equal(change.status, 200);
    assert.equal(await currentUser(mine), 'dave');
    assert.equal(await currentUser(elsewhere), 401);
    const a = await session(admin);
    const reset = await api(a, `/users/${me.user_id}/password`, { method: 'PUT', csrf: a.csrf, body: JSON.stringify({ new_password: 'Reset-Passw0rd' }) });
    assert.equal(reset.status, 200);
    assert.equal(await currentUser(mine), 401);
    const again = await session({ username: 'dave', password: 'Reset-Passw0rd' });
    assert.equal((await api(a, `/users/${me.user_id}`, { method: 'DELETE', csrf: a.csrf })).status, 200);
    assert.equal(await currentUser(again), 401);
  });

  it('refuses logins posted from another site, and marks the cookie Secure behind an https external URL', async () => {
    assert.equal((await login(r.url, alice, { Origin: 'http://evil.example' })).status, 403);
    assert.equal((await login(r.url, alice, { 'Sec-Fetch-Site': 'cross-site' })).status, 403);
    assert.equal((await login(r.url, alice, { Origin: r.url, 'Sec-Fetch-Site': 'same-origin' })).status, 200);
    const secure = await login(other.url, alice, { Origin: 'https://registry.example.com' });
    assert.equal(secure.status, 200);
    assert.match(secure.headers.getSetCookie()[0], /; Secure$/);
  });
});
