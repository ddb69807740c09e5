// LDAP sign-in beside local users, against a real slapd (test/helpers/slapd.ts): Harbor's
// configurations API, the directory's users on the API, the token endpoint and /v2, their
// groups as project members, and the ways it must refuse.
import assert from 'node:assert/strict';
import { admin, basic, createProject, createUser } from '../helpers/api.js';
import { startTestRegistry, testSecretKey, type TestRegistry } from '../helpers/inProcess.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';
import { AuthSettingsStore } from '../../server/identity/settings.js';
import { secretBox } from '../../server/replication/secretBox.js';

const pw = (uid: string) => `${uid}-Directory-1`;
const localPassword = 'Local-Passw0rd';

describe('LDAP sign-in', function () {
  this.timeout(60_000);
  let r: TestRegistry;
  let ldap: Slapd;

  const call = async (method: string, path: string, body?: unknown, as: { username: string; password: string } = admin) =>
    fetch(`${r.url}/api/v2.0${path}`, {
      method,
      headers: { Authorization: basic(as), 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const ok = async (res: Response, status = 200) => {
    assert.equal(res.status, status, await res.clone().text());
    return res.headers.get('content-type')?.includes('json') ? res.json() : res.text();
  };
  const user = (uid: string, password = pw(uid)) => ({ username: uid, password });
  const configure = async (settings: Record<string, unknown>) => ok(await call('PUT', '/configurations', settings));
  /** The actions a registry token grants on one repository, asked for pull and push. */
  const tokenActions = async (as: { username: string; password: string }, repo: string): Promise<string[] | number> => {
    const res = await fetch(`${r.url}/service/token?service=berth&scope=repository:${repo}:pull,push`, { headers: { Authorization: basic(as) } });
    if (res.status !== 200) return res.status;
    const { token } = await res.json();
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    return [...(claims.access[0]?.actions ?? [])].sort();
  };

  before(async () => {
    ldap = await startSlapd({
      users: ['alice', 'bob', 'carol', 'dana', 'admin', 'erin'].map((uid) => ({ uid, password: pw(uid), mail: `${uid}@berth.test` })),
      groups: [
        { cn: 'devs', members: ['alice'] },
        { cn: 'leads', members: ['bob'] },
        { cn: 'admins', members: ['carol'] },
      ],
    });
    await ldap.addGroup({ cn: 'platform', members: [ldap.groupDn('leads')] });
    r = await startTestRegistry();
    await createUser(r.url, 'dana', localPassword);
    await createUser(r.url, 'localuser', localPassword);
    await createProject(r.url, 'secret');
  });
  after(async () => {
    await r?.close();
    await ldap?.stop();
  });

  const directory = () => ({
    ldap_url: ldap.url,
    ldap_search_dn: ldap.adminDn,
    ldap_search_password: ldap.adminPassword,
    ldap_base_dn: `ou=people,${ldap.baseDn}`,
    ldap_filter: '(objectClass=inetOrgPerson)',
    ldap_uid: 'uid',
    ldap_group_base_dn: `ou=groups,${ldap.baseDn}`,
    ldap_group_search_filter: '(objectClass=groupOfNames)',
    ldap_cache_seconds: 0,
  });

  it('keeps the settings for system administrators, secrets write-only, each checked', async () => {
    assert.equal((await call('GET', '/configurations', undefined, user('localuser', localPassword))).status, 403);
    const before = await ok(await call('GET', '/configurations'));
    assert.deepEqual(before.auth_mode, { value: 'db_auth', editable: true });
    assert.deepEqual(before.ldap_uid, { value: 'uid', editable: true });
    for (const bad of [
      { nonsense: 1 },
      { ldap_url: 'http://example.com' },
      { ldap_filter: '(objectClass=person' },
      { ldap_scope: 7 },
      { auth_mode: 'ldap_auth' },
      { auth_modes: ['ldap_auth', 'kerberos'] },
      { auth_mode: 'db_auth', auth_modes: ['db_auth'] },
    ]) {
      const res = await call('PUT', '/configurations', bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.match((await res.json()).errors[0].message, /./);
    }
    await configure({ ...directory(), auth_mode: 'ldap_auth' });
    const after = await ok(await call('GET', '/configurations'));
    assert.equal(after.auth_mode.value, 'ldap_auth');
    assert.deepEqual(after.auth_modes.value, ['db_auth', 'ldap_auth']);
    assert.equal(after.ldap_url.value, ldap.url);
    assert.equal('ldap_search_password' in after, false, 'a secret is never shown');
    const stored = await r.db.query<{ value: string }>("SELECT value FROM configurations WHERE key = 'ldap_search_password'");
    assert.doesNotMatch(JSON.stringify(stored.rows[0].value), new RegExp(ldap.adminPassword), 'stored sealed');
    const info = await ok(await call('GET', '/systeminfo'));
    assert.equal(info.auth_mode, 'ldap_auth');
    assert.deepEqual(info.auth_modes, ['db_auth', 'ldap_auth']);
    await r.flushAudit();
    const rows = await r.db.query<{ resource: string }>("SELECT resource FROM audit_log WHERE resource_type = 'configuration'");
    assert.ok(rows.rows.some((x) => x.resource.includes('ldap_url')));
  });

  it('pings the directory with trial settings, saying why it fails', async () => {
    assert.deepEqual((await ok(await call('POST', '/ldap/ping', {}))).success, true);
    const wrong = await ok(await call('POST', '/ldap/ping', { ldap_search_password: 'wrong' }));
    assert.equal(wrong.success, false);
    assert.match(wrong.message, /refused the search account/);
    const missing = await ok(await call('POST', '/ldap/ping', { ldap_base_dn: 'ou=nowhere,dc=berth,dc=test' }));
    assert.match(missing.message, /does not exist/);
    assert.equal((await call('POST', '/ldap/ping', { ldap_url: 'nope' })).status, 400);
    assert.equal((await call('POST', '/ldap/ping', {}, user('localuser', localPassword))).status, 403);
  });

  it('signs a directory user in with their directory password, creating them as an ldap user', async () => {
    const me = await ok(await call('GET', '/users/current', undefined, user('alice')));
    assert.equal(me.username, 'alice');
    assert.equal(me.source, 'ldap');
    assert.equal(me.email, 'alice@berth.test');
    assert.equal((await call('GET', '/users/current', undefined, user('alice', 'wrong'))).status, 401);
    assert.equal((await call('GET', '/users/current', undefined, user('alice', ''))).status, 401, 'an empty password is no anonymous bind');
    assert.equal((await call('GET', '/users/current', undefined, user('nobody'))).status, 401);
    // The console's login and the token endpoint take the same password.
    const form = new URLSearchParams({ principal: 'alice', password: pw('alice') });
    const login = await fetch(`${r.url}/c/login`, { method: 'POST', body: form, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(login.status, 200, await login.clone().text());
    assert.ok(Array.isArray(await tokenActions(user('alice'), 'secret/app')));
    // A directory user's password is the directory's to change.
    assert.equal(
      (await call('PUT', `/users/${me.user_id}/password`, { old_password: pw('alice'), new_password: 'New-Passw0rd-1' }, user('alice'))).status,
      412,
    );
    await r.flushAudit();
    const logins = await r.db.query<{ resource: string; is_successful: boolean }>(
      "SELECT resource, is_successful FROM audit_log WHERE operation = 'login' AND username = 'alice'",
    );
    assert.ok(logins.rows.some((x) => x.resource === 'alice (ldap)' && x.is_successful));
  });

  it('refuses filter injection: the name is a value, never part of the filter', async () => {
    for (const name of ['*', 'al*', 'alice)(uid=*', '*)(|(uid=*', 'alice\\', 'alice\u0000']) {
      assert.equal((await call('GET', '/users/current', undefined, { username: name, password: pw('alice') })).status, 401, JSON.stringify(name));
    }
  });

  it('never merges a directory user into a local one of the same name', async () => {
    // The local admin keeps their password; the directory's admin cannot sign in as them.
    assert.equal((await call('GET', '/users/current', undefined, user('admin'))).status, 401);
    assert.equal((await call('GET', '/users/current')).status, 200);
    // dana is local; the directory's dana (found through another spelling) is refused.
    assert.equal((await call('GET', '/users/current', undefined, user('dana', localPassword))).status, 200);
    const res = await call('GET', '/users/current', undefined, user('DANA', pw('dana')));
    assert.equal(res.status, 401);
    assert.match((await res.json()).errors[0].message, /belongs to a local user/);
    const danas = await r.db.query<{ source: string }>("SELECT source FROM users WHERE lower(username) = 'dana'");
    assert.deepEqual(
      danas.rows.map((x) => x.source),
      ['db'],
    );
  });

  it('adds LDAP groups by DN, only ones the directory has, and gives members the highest role', async () => {
    const missing = await call('POST', '/usergroups', { group_type: 1, ldap_group_dn: `cn=ghosts,ou=groups,${ldap.baseDn}` });
    assert.equal(missing.status, 404);
    assert.equal((await call('POST', '/usergroups', { group_type: 1, ldap_group_dn: 'cn=x,dc=elsewhere' })).status, 404, 'outside the group base');
    assert.equal((await call('POST', '/usergroups', { group_type: 3, group_name: 'x' })).status, 412, 'OIDC groups need OIDC on');
    assert.equal((await call('POST', '/usergroups', { group_type: 2, group_name: 'x' })).status, 400);
    assert.equal((await call('POST', '/usergroups', { group_type: 1, ldap_group_dn: ldap.groupDn('devs') }, user('alice'))).status, 403);
    const created = await call('POST', '/usergroups', { group_type: 1, ldap_group_dn: ldap.groupDn('devs') });
    // alice's first login already made the group; adding it again is a conflict.
    assert.equal(created.status, 409);
    const [devs] = await ok(await call('GET', `/usergroups?ldap_group_dn=${encodeURIComponent(ldap.groupDn('devs').toUpperCase())}`));
    assert.equal(devs.group_name, 'devs');
    assert.equal((await ok(await call('GET', `/usergroups/${devs.id}`))).ldap_group_dn, ldap.groupDn('devs').toLowerCase());
    assert.deepEqual(await tokenActions(user('alice'), 'secret/app'), [], 'not a member yet');

    assert.equal((await call('POST', '/projects/secret/members', { role_id: 3, member_user: { username: 'alice' } })).status, 201);
    assert.deepEqual(await tokenActions(user('alice'), 'secret/app'), ['pull']);
    const added = await call('POST', '/projects/secret/members', { role_id: 2, member_group: { id: devs.id } });
    assert.equal(added.status, 201);
    assert.match(added.headers.get('location')!, /\/members\/\d+$/);
    assert.deepEqual(await tokenActions(user('alice'), 'secret/app'), ['pull', 'push'], "the group's developer beats her own guest");
    const project = await ok(await call('GET', '/projects/secret', undefined, user('alice')));
    assert.equal(project.current_user_role_id, 2);
    assert.deepEqual(project.current_user_role_ids, [2, 3]);
    const members = await ok(await call('GET', '/projects/secret/members'));
    const group = members.find((m: { entity_type: string }) => m.entity_type === 'g');
    assert.deepEqual([group.entity_name, group.entity_id, group.role_id], ['devs', devs.id, 2]);
    assert.equal((await call('POST', '/projects/secret/members', { role_id: 2, member_group: { id: devs.id } })).status, 409);
    assert.equal(
      (await call('POST', '/projects/secret/members', { role_id: 2, member_user: { username: 'alice' }, member_group: { id: devs.id } })).status,
      400,
    );
    const listed = await ok(await call('GET', '/projects', undefined, user('alice')));
    assert.ok(listed.some((p: { name: string }) => p.name === 'secret'));
    // Changing and deleting by member id.
    assert.equal((await call('PUT', `/projects/secret/members/${group.id}`, { role_id: 1 })).status, 200);
    assert.equal((await ok(await call('GET', `/projects/secret/members/${group.id}`))).role_name, 'projectAdmin');
    assert.equal((await call('DELETE', `/projects/secret/members/${group.id}`)).status, 200);
    assert.deepEqual(await tokenActions(user('alice'), 'secret/app'), ['pull']);
  });

  it('adds a group as a member straight by DN, and follows the directory at each login', async () => {
    const res = await call('POST', '/projects/secret/members', { role_id: 4, member_group: { group_type: 1, ldap_group_dn: ldap.groupDn('platform') } });
    assert.equal(res.status, 201, await res.clone().text());
    // bob is in leads, which is in platform: only nested lookup makes him a member.
    assert.deepEqual(await tokenActions(user('bob'), 'secret/app'), []);
    await configure({ ldap_group_nested: true });
    assert.deepEqual(await tokenActions(user('bob'), 'secret/app'), ['pull', 'push']);
    // Group members by the groups' member attribute instead of the users' memberOf.
    await configure({ ldap_group_membership_attribute: '', ldap_group_member_attribute: 'member' });
    assert.deepEqual(await tokenActions(user('bob'), 'secret/app'), ['pull', 'push']);
    await configure({ ldap_group_nested: false });
    assert.deepEqual(await tokenActions(user('bob'), 'secret/app'), [], 'seen at the next login');
    await configure({ ldap_group_membership_attribute: 'memberof', ldap_group_member_attribute: '' });
  });

  it("makes the admin group's members system administrators at login", async () => {
    assert.equal((await ok(await call('GET', '/users/current', undefined, user('carol')))).sysadmin_flag, false);
    await configure({ ldap_group_admin_dn: ldap.groupDn('admins') });
    assert.equal((await ok(await call('GET', '/users/current', undefined, user('carol')))).sysadmin_flag, true);
    assert.equal((await call('GET', '/configurations', undefined, user('carol'))).status, 200);
    await configure({ ldap_group_admin_dn: '' });
  });

  it('refuses a user removed from the directory at their next login, and a changed password', async () => {
    assert.equal((await call('GET', '/users/current', undefined, user('erin'))).status, 200);
    await ldap.setPassword('erin', 'Changed-Passw0rd');
    assert.equal((await call('GET', '/users/current', undefined, user('erin'))).status, 401);
    assert.equal((await call('GET', '/users/current', undefined, user('erin', 'Changed-Passw0rd'))).status, 200);
    await ldap.removeUser('erin');
    assert.equal((await call('GET', '/users/current', undefined, user('erin', 'Changed-Passw0rd'))).status, 401);
    assert.equal(await tokenActions(user('erin', 'Changed-Passw0rd'), 'secret/app'), 401);
  });

  it('reuses a checked directory login for ldap_cache_seconds', async () => {
    await configure({ ldap_cache_seconds: 30 });
    assert.equal((await call('GET', '/users/current', undefined, user('alice'))).status, 200);
    await ldap.setPassword('alice', 'Alice-Moved-On-1');
    assert.equal((await call('GET', '/users/current', undefined, user('alice'))).status, 200, 'from the cache');
    await configure({ ldap_cache_seconds: 0 });
    assert.equal((await call('GET', '/users/current', undefined, user('alice', 'Alice-Moved-On-1'))).status, 200);
    await ldap.setPassword('alice', pw('alice'));
  });

  it('lets local sign-in be switched off, except for local administrators', async () => {
    await configure({ auth_modes: ['ldap_auth'] });
    assert.equal((await call('GET', '/users/current', undefined, user('localuser', localPassword))).status, 401);
    assert.equal((await call('GET', '/users/current')).status, 200, 'the admin can still fix the settings');
    assert.equal((await call('GET', '/users/current', undefined, user('bob'))).status, 200);
    await configure({ auth_modes: ['db_auth'] });
    assert.equal((await call('GET', '/users/current', undefined, user('bob'))).status, 401, 'directory off: its users are refused');
    assert.equal((await call('GET', '/users/current', undefined, user('localuser', localPassword))).status, 200);
    await configure({ auth_modes: ['db_auth', 'ldap_auth'] });
  });

  it('says the directory cannot be reached, without its address, and audits it', async () => {
    await configure({ ldap_url: 'ldap://127.0.0.1:1' });
    const res = await call('GET', '/users/current', undefined, user('bob'));
    assert.equal(res.status, 401);
    const { message } = (await res.json()).errors[0];
    assert.match(message, /directory cannot be reached/);
    assert.doesNotMatch(message, /127\.0\.0\.1/);
    await r.flushAudit();
    const rows = await r.db.query("SELECT 1 FROM audit_log WHERE username = 'bob' AND error_code = 'DIRECTORY_UNAVAILABLE'");
    assert.equal(rows.rowCount, 1);
    await configure({ ldap_url: ldap.url });
  });

  it('renames and deletes groups, and a deleted group takes its memberships', async () => {
    const [platform] = await ok(await call('GET', '/usergroups?group_name=platf'));
    assert.equal((await call('PUT', `/usergroups/${platform.id}`, { group_name: 'Platform team' })).status, 200);
    const found = await ok(await call('GET', '/usergroups/search?groupname=team', undefined, user('bob')));
    assert.deepEqual(
      found.map((g: { group_name: string }) => g.group_name),
      ['Platform team'],
    );
    assert.equal((await call('DELETE', `/usergroups/${platform.id}`)).status, 200);
    assert.equal((await call('GET', `/usergroups/${platform.id}`)).status, 404);
    const members = await ok(await call('GET', '/projects/secret/members'));
    assert.equal(members.filter((m: { entity_type: string }) => m.entity_type === 'g').length, 0);
    assert.equal((await call('GET', '/usergroups/x')).status, 404);
  });

  it('speaks TLS to the directory (ldaps:// and StartTLS), checking its certificate unless told not to', async () => {
    const tls = await startSlapd({ tls: true, users: [{ uid: 'tia', password: pw('tia') }] });
    try {
      const ping = async (trial: Record<string, unknown>) => ok(await call('POST', '/ldap/ping', { ldap_url: tls.url, ldap_verify_cert: true, ...trial }));
      for (const trial of [{ ldap_url: tls.tlsUrl }, { ldap_starttls: true }]) {
        const refused = await ping(trial);
        assert.equal(refused.success, false, JSON.stringify(trial));
        assert.match(refused.message, /certificate/i, JSON.stringify(trial));
        assert.equal((await ping({ ...trial, ldap_verify_cert: false })).success, true, JSON.stringify(trial));
      }
      // A sign-in over ldaps://, the self-signed certificate accepted only because verification is off.
      await configure({ ldap_url: tls.tlsUrl, ldap_verify_cert: false });
      assert.equal((await ok(await call('GET', '/users/current', undefined, user('tia')))).source, 'ldap');
      await configure({ ldap_verify_cert: true });
      assert.equal((await call('GET', '/users/current', undefined, user('tia'))).status, 401);
    } finally {
      await configure({ ldap_url: ldap.url, ldap_verify_cert: true });
      await tls.stop();
    }
  });

  it('lets the environment pin a setting, which the API then shows as not editable and refuses to change', async () => {
    const store = new AuthSettingsStore(r.db, secretBox(testSecretKey), { ldap_uid: 'cn' }, 0);
    const adminPrincipal = { kind: 'user' as const, id: 1, username: 'admin', sysadmin: true };
    const view = await store.view(adminPrincipal);
    assert.deepEqual(view.ldap_uid, { value: 'cn', editable: false });
    await assert.rejects(store.update(adminPrincipal, { ldap_uid: 'mail' }), /set by BERTH_LDAP_UID/);
  });
});
