// OIDC sign-in against a real provider (test/helpers/oidcProvider.ts, the oidc-provider
// package) on loopback: the console's authorization code flow through every redirect, as a
// browser follows them, with state, nonce, PKCE and the ID token checked; onboarding;
// groups from the groups claim as project members; the CLI secret for docker login and its
// renewal with the refresh token; and what must be refused.
import assert from 'node:assert/strict';
import { Agent } from 'undici';
import { admin, basic, createProject } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { startHostileProvider } from '../helpers/hostileOidcProvider.js';
import { startOidcProvider, type OidcProvider } from '../helpers/oidcProvider.js';

/** A browser's cookie jar and redirects, by hand: every cookie goes to both loopback servers, as a browser's do (cookies ignore ports). */
class Browser {
  cookies = new Map<string, string>();
  async get(url: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(url, {
      ...init,
      ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      redirect: 'manual',
      headers: { ...(init.headers ?? {}), cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      if (attrs.some((a) => /max-age=0\b/i.test(a.trim())) || /expires=thu, 01 jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(i + 1).trim());
    }
    return res;
  }
  constructor(
    private readonly berth: string,
    /** For a provider with a self-signed certificate: the test's browser accepts it; Berth must be told to. */
    private readonly dispatcher?: Agent,
  ) {}
  /** Follows redirects until a page of Berth's console (not /c/) or an error; the final URL. */
  async follow(start: string): Promise<URL> {
    let url = new URL(start);
    for (let i = 0; i < 20; i++) {
      const res = await this.get(url.href);
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) {
        if (res.status >= 400) throw new Error(`${url.href}: ${res.status} ${await res.text()}`);
        return url;
      }
      await res.arrayBuffer();
      url = new URL(location, url);
      if (!url.pathname.startsWith('/c/') && url.origin === this.berth) return url;
    }
    throw new Error('too many redirects');
  }
}

describe('OIDC sign-in', function () {
  this.timeout(60_000);
  let r: TestRegistry;
  let idp: OidcProvider;
  const api = (method: string, path: string, body?: unknown, auth = basic(admin), headers: Record<string, string> = {}) =>
    fetch(`${r.url}/api/v2.0${path}`, {
      method,
      headers: { Authorization: auth, 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const configure = async (settings: Record<string, unknown>) => {
    const res = await api('PUT', '/configurations', settings);
    assert.equal(res.status, 200, await res.text());
  };
  /** Points Berth back at the test's real provider, after a test used another one. */
  const pointAtTestProvider = (more: Record<string, unknown> = {}) =>
    configure({
      oidc_endpoint: idp.issuer,
      oidc_client_id: idp.clientId,
      oidc_client_secret: idp.clientSecret,
      oidc_scope: 'openid,profile,email,groups,offline_access',
      ...more,
    });
  /** Signs in through the provider as `account`; the browser and where it landed. */
  const signIn = async (account: string) => {
    idp.signInAs(account);
    const b = new Browser(r.url);
    return { b, landed: await b.follow(`${r.url}/c/oidc/login`) };
  };
  const me = async (b: Browser) => (await b.get(`${r.url}/api/v2.0/users/current`)).json();
  const tokenActions = async (user: string, secret: string, repo: string) => {
    const res = await fetch(`${r.url}/service/token?service=berth&scope=repository:${repo}:pull,push`, {
      headers: { Authorization: basic({ username: user, password: secret }) },
    });
    if (res.status !== 200) return res.status;
    const claims = JSON.parse(Buffer.from((await res.json()).token.split('.')[1], 'base64url').toString());
    return [...(claims.access[0]?.actions ?? [])].sort();
  };

  before(async () => {
    r = await startTestRegistry();
    idp = await startOidcProvider({
      redirectUris: [`${r.url}/c/oidc/callback`],
      accounts: [
        { sub: 'u-olga', preferred_username: 'olga', email: 'olga@idp.test', name: 'Olga O', groups: ['platform', 'registry-admins'] },
        { sub: 'u-pete', preferred_username: 'pete', email: 'pete@idp.test', groups: ['platform'] },
        { sub: 'u-admin', preferred_username: 'admin', groups: [] },
        { sub: 'u-quinn', preferred_username: 'quinn', groups: [] },
        { sub: 'u-rosa', preferred_username: 'rosa', groups: [] },
      ],
    });
    await createProject(r.url, 'apps');
  });
  after(async () => {
    await r?.close();
    await idp?.stop();
  });

  it('refuses to turn OIDC on without an issuer and a client, and keeps the client secret write-only', async () => {
    assert.equal((await api('PUT', '/configurations', { auth_mode: 'oidc_auth' })).status, 400);
    assert.equal((await api('PUT', '/configurations', { oidc_endpoint: 'http://idp.example.com' })).status, 400, 'http only on loopback');
    assert.equal((await api('PUT', '/configurations', { oidc_scope: 'profile email' })).status, 400);
    await configure({
      auth_modes: ['db_auth', 'oidc_auth'],
      oidc_name: 'Test IdP',
      oidc_endpoint: idp.issuer,
      oidc_client_id: idp.clientId,
      oidc_client_secret: idp.clientSecret,
      oidc_scope: 'openid,profile,email,groups,offline_access',
      oidc_groups_claim: 'groups',
      oidc_auto_onboard: true,
    });
    const view = await (await api('GET', '/configurations')).json();
    assert.equal(view.auth_mode.value, 'oidc_auth');
    assert.equal('oidc_client_secret' in view, false);
    const info = await (await fetch(`${r.url}/api/v2.0/systeminfo`)).json();
    assert.deepEqual([info.auth_mode, info.oidc_provider_name], ['oidc_auth', 'Test IdP']);
  });

  it('sends the browser to the provider with PKCE, state and nonce, and signs in at the callback', async () => {
    const b = new Browser(r.url);
    const start = await b.get(`${r.url}/c/oidc/login`);
    assert.equal(start.status, 302);
    const auth = new URL(start.headers.get('location')!);
    assert.equal(auth.origin, idp.issuer);
    assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(auth.searchParams.get('state') && auth.searchParams.get('nonce') && auth.searchParams.get('code_challenge'));
    assert.equal(auth.searchParams.get('redirect_uri'), `${r.url}/c/oidc/callback`);
    idp.signInAs('u-olga');
    const landed = await b.follow(auth.href);
    assert.equal(landed.pathname, '/projects', landed.href);
    const user = await me(b);
    assert.deepEqual([user.username, user.source, user.email, user.realname], ['olga', 'oidc', 'olga@idp.test', 'Olga O']);
    assert.match(user.oidc_user_meta.secret, /^[\w-]{32}$/);
    await r.flushAudit();
    const rows = await r.db.query("SELECT 1 FROM audit_log WHERE operation = 'login' AND resource = 'olga (oidc)'");
    assert.equal(rows.rowCount, 1);
  });

  it('refuses a callback whose state this browser did not start, a replayed one, and a forged code', async () => {
    idp.signInAs('u-pete');
    const victim = new Browser(r.url);
    const attacker = new Browser(r.url);
    const start = await attacker.get(`${r.url}/c/oidc/login`);
    // The attacker walks the provider's part and keeps the callback URL for the victim.
    let url = new URL(start.headers.get('location')!);
    for (;;) {
      const res = await attacker.get(url.href);
      url = new URL(res.headers.get('location')!, url);
      if (url.pathname === '/c/oidc/callback') break;
    }
    const cross = await victim.get(url.href);
    assert.match(decodeURIComponent(cross.headers.get('location')!), /not started in this browser/);
    assert.equal((await me(victim)).errors?.[0]?.code, 'UNAUTHORIZED');
    const forged = new URL(url);
    forged.searchParams.set('code', 'forged');
    const bad = await attacker.get(forged.href);
    assert.match(bad.headers.get('location')!, /^\/sign-in\?error=/);
    // That state is spent now: the real code with it is refused too.
    const replay = await attacker.get(url.href);
    assert.match(replay.headers.get('location')!, /^\/sign-in\?error=/);
    const provider = await attacker.get(`${r.url}/c/oidc/callback?error=access_denied&error_description=nope&state=x`);
    assert.match(decodeURIComponent(provider.headers.get('location')!), /refused the sign-in: nope/);
  });

  it('gives groups from the groups claim roles in projects, the strongest winning, and makes the admin group administrators', async () => {
    const { b } = await signIn('u-pete');
    const pete = await me(b);
    const [platform] = await (await api('GET', '/usergroups?group_type=3&group_name=platform')).json();
    assert.equal(platform.group_type, 3);
    assert.equal((await api('POST', '/usergroups', { group_type: 3, group_name: 'platform' })).status, 409);
    const byName = await api('POST', '/projects/apps/members', { role_id: 3, member_group: { group_type: 3, group_name: 'ops' } });
    assert.equal(byName.status, 201, 'an OIDC group not seen yet is added by name');
    const added = await api('POST', '/projects/apps/members', { role_id: 2, member_group: { id: platform.id } });
    assert.equal(added.status, 201, await added.text());
    assert.deepEqual(await tokenActions('pete', pete.oidc_user_meta.secret, 'apps/web'), ['pull', 'push']);
    await configure({ oidc_admin_group: 'registry-admins' });
    const { b: ob } = await signIn('u-olga');
    assert.equal((await me(ob)).sysadmin_flag, true);
    await configure({ oidc_admin_group: '' });
  });

  it('lets docker log in with the CLI secret, which its owner can change, and never with a wrong one', async () => {
    const { b } = await signIn('u-pete');
    const user = await me(b);
    assert.ok(Array.isArray(await tokenActions('pete', user.oidc_user_meta.secret, 'apps/web')));
    assert.equal(await tokenActions('pete', 'not-the-secret', 'apps/web'), 401);
    const csrf = (await b.get(`${r.url}/api/v2.0/users/current`)).headers.get('x-harbor-csrf-token')!;
    const weak = await b.get(`${r.url}/api/v2.0/users/${user.user_id}/cli_secret`, {
      method: 'PUT',
      body: JSON.stringify({ secret: 'short' }),
      headers: { 'Content-Type': 'application/json', 'X-Harbor-CSRF-Token': csrf },
    });
    assert.equal(weak.status, 400);
    const changed = await b.get(`${r.url}/api/v2.0/users/${user.user_id}/cli_secret`, {
      method: 'PUT',
      body: JSON.stringify({ secret: 'Pete-Cli-Secret-1' }),
      headers: { 'Content-Type': 'application/json', 'X-Harbor-CSRF-Token': csrf },
    });
    assert.equal(changed.status, 200, await changed.text());
    assert.ok(Array.isArray(await tokenActions('pete', 'Pete-Cli-Secret-1', 'apps/web')));
    assert.equal(await tokenActions('pete', user.oidc_user_meta.secret, 'apps/web'), 401);
    assert.equal((await api('PUT', '/users/1/cli_secret', { secret: 'Pete-Cli-Secret-1' })).status, 412, 'a local user has none');
  });

  it('renews an expired sign-in with the refresh token at CLI login, and refuses once the provider removed the user', async () => {
    const { b } = await signIn('u-rosa');
    const rosa = await me(b);
    // As if the ID token had expired: the next CLI login asks the provider.
    await r.db.query("UPDATE oidc_users SET token_expires_at = now() - interval '1 minute' WHERE user_id = $1", [rosa.user_id]);
    assert.ok(Array.isArray(await tokenActions('rosa', rosa.oidc_user_meta.secret, 'apps/web')), 'renewed');
    const renewed = await r.db.query<{ token_expires_at: Date }>('SELECT token_expires_at FROM oidc_users WHERE user_id = $1', [rosa.user_id]);
    assert.ok(new Date(renewed.rows[0].token_expires_at).getTime() > Date.now());
    await idp.revoke('u-rosa');
    await r.db.query("UPDATE oidc_users SET token_expires_at = now() - interval '1 minute' WHERE user_id = $1", [rosa.user_id]);
    const res = await fetch(`${r.url}/service/token?service=berth&scope=repository:apps/web:pull`, {
      headers: { Authorization: basic({ username: 'rosa', password: rosa.oidc_user_meta.secret }) },
    });
    assert.equal(res.status, 401);
    assert.match(await res.text(), /sign in to the console again/);
  });

  it('never merges a provider user into a local one of the same name', async () => {
    const { landed } = await signIn('u-admin');
    assert.equal(landed.pathname, '/sign-in');
    assert.match(landed.searchParams.get('error')!, /belongs to another user here/);
    const users = await r.db.query("SELECT source FROM users WHERE username = 'admin'");
    assert.deepEqual(
      users.rows.map((x) => x.source),
      ['db'],
    );
  });

  it('without automatic onboarding, asks a new user for a name and refuses a taken one', async () => {
    await configure({ oidc_auto_onboard: false });
    const { b, landed } = await signIn('u-quinn');
    assert.equal(landed.pathname, '/oidc-onboard');
    assert.equal(landed.searchParams.get('name'), 'quinn');
    const onboard = (username: string) =>
      b.get(`${r.url}/c/oidc/onboard`, { method: 'POST', body: JSON.stringify({ username }), headers: { 'Content-Type': 'application/json' } });
    assert.equal((await onboard('admin')).status, 409);
    assert.equal((await onboard('no spaces')).status, 409);
    const done = await onboard('quinn-b');
    assert.equal(done.status, 200, await done.clone().text());
    assert.equal((await me(b)).username, 'quinn-b');
    // Known now: the next sign-in goes straight in.
    const again = await signIn('u-quinn');
    assert.equal(again.landed.pathname, '/projects');
    assert.equal((await onboard('x')).status, 401, 'the pending sign-in is spent');
    await configure({ oidc_auto_onboard: true });
  });

  it("refuses ID tokens that are not the provider's own: another key, audience, issuer or nonce, expired, unsigned", async () => {
    const liar = await startHostileProvider();
    try {
      await configure({ oidc_endpoint: liar.issuer, oidc_client_id: liar.clientId, oidc_client_secret: liar.clientSecret, oidc_scope: 'openid' });
      const attempt = async () => new Browser(r.url).follow(`${r.url}/c/oidc/login`);
      liar.lie = 'none';
      const honest = await attempt();
      assert.equal(honest.pathname, '/projects', `the hostile provider's honest answer signs in, so each refusal below is the lie's: ${honest.href}`);
      for (const lie of ['unpublished-key', 'audience', 'issuer', 'nonce', 'expired', 'unsigned'] as const) {
        liar.lie = lie;
        const landed = await attempt();
        assert.equal(landed.pathname, '/sign-in', `${lie}: ${landed.href}`);
        assert.match(landed.searchParams.get('error')!, /did not confirm the sign-in/, lie);
      }
    } finally {
      await pointAtTestProvider();
      await liar.stop();
    }
  });

  it("checks the provider's TLS certificate unless oidc_verify_cert is off", async () => {
    const tls = await startHostileProvider({ tls: true, subject: 'trent' });
    try {
      await configure({ oidc_endpoint: tls.issuer, oidc_client_id: tls.clientId, oidc_client_secret: tls.clientSecret, oidc_scope: 'openid' });
      const refused = await new Browser(r.url).get(`${r.url}/c/oidc/login`);
      assert.match(decodeURIComponent(refused.headers.get('location')!), /identity provider cannot be reached/, 'a self-signed certificate is not trusted');
      await configure({ oidc_verify_cert: false });
      const landed = await new Browser(r.url, new Agent({ connect: { rejectUnauthorized: false } })).follow(`${r.url}/c/oidc/login`);
      assert.equal(landed.pathname, '/projects', landed.href);
    } finally {
      await pointAtTestProvider({ oidc_verify_cert: true });
      await tls.stop();
    }
  });

  it('refuses OIDC users when OIDC is off, and says why when the provider is down', async () => {
    await configure({ auth_modes: ['db_auth'] });
    const off = await new Browser(r.url).get(`${r.url}/c/oidc/login`);
    assert.match(decodeURIComponent(off.headers.get('location')!), /is off here/);
    await configure({ auth_modes: ['db_auth', 'oidc_auth'], oidc_endpoint: 'http://127.0.0.1:1' });
    const down = await new Browser(r.url).get(`${r.url}/c/oidc/login`);
    assert.match(decodeURIComponent(down.headers.get('location')!), /identity provider cannot be reached/);
    await configure({ oidc_endpoint: idp.issuer });
  });
});
