import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, InvalidCredentialsError } from 'ldapts';
import { type Slapd, startSlapd } from '../helpers/slapd.js';

async function bindAs(slapd: Slapd, dn: string, password: string): Promise<boolean> {
  const client = new Client({ url: slapd.url });
  try {
    await client.bind(dn, password);
    return true;
  } catch (err) {
    if (err instanceof InvalidCredentialsError) return false;
    throw err;
  } finally {
    await client.unbind().catch(() => {});
  }
}

async function attribute(slapd: Slapd, dn: string, name: string): Promise<string[]> {
  const client = new Client({ url: slapd.url });
  try {
    await client.bind(slapd.adminDn, slapd.adminPassword);
    const { searchEntries } = await client.search(dn, { scope: 'base', attributes: [name] });
    const value = searchEntries[0]?.[name] ?? [];
    return (Array.isArray(value) ? value : [value]).map(String);
  } finally {
    await client.unbind().catch(() => {});
  }
}
const memberOf = (slapd: Slapd, dn: string) => attribute(slapd, dn, 'memberOf');
const members = (slapd: Slapd, dn: string) => attribute(slapd, dn, 'member');

/** The slapd process serving url, found in /proc: its pid and the -F directory it was given. */
function slapdProcess(url: string): { pid: number; configDir: string } | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv[argv.indexOf('-h') + 1] === url && argv.includes('-F')) return { pid: Number(name), configDir: argv[argv.indexOf('-F') + 1] };
  }
  return undefined;
}

describe('test helper: slapd', () => {
  let slapd: Slapd;

  before(async () => {
    slapd = await startSlapd({
      users: [
        { uid: 'alice', password: 'alice-pw', mail: 'alice@berth.test' },
        { uid: 'bob', password: 'bob-pw', cn: 'Bob Builder' },
      ],
      // The outer group is listed first: the helper adds the inner one before it.
      groups: [
        { cn: 'registry-admins', members: ['cn=developers,ou=groups,dc=berth,dc=test'] },
        { cn: 'developers', members: ['alice', 'bob'] },
      ],
    });
  });

  after(async () => {
    await slapd?.stop();
  });

  it('listens on loopback with the documented names', () => {
    assert.match(slapd.url, /^ldap:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(slapd.userDn('alice'), 'uid=alice,ou=people,dc=berth,dc=test');
    assert.equal(slapd.groupDn('developers'), 'cn=developers,ou=groups,dc=berth,dc=test');
  });

  it('binds a user with their password and not with a wrong one', async () => {
    assert.equal(await bindAs(slapd, slapd.userDn('alice'), 'alice-pw'), true);
    assert.equal(await bindAs(slapd, slapd.userDn('alice'), 'wrong'), false);
    assert.equal(await bindAs(slapd, slapd.adminDn, slapd.adminPassword), true);
  });

  it('gives members memberOf, nested groups included', async () => {
    assert.deepEqual(await memberOf(slapd, slapd.userDn('alice')), [slapd.groupDn('developers')]);
    assert.deepEqual(await memberOf(slapd, slapd.groupDn('developers')), [slapd.groupDn('registry-admins')]);
  });

  it('adds a group later, empty ones holding the admin as placeholder', async () => {
    await slapd.addGroup({ cn: 'auditors', members: ['bob'] });
    await slapd.addGroup({ cn: 'nobody', members: [] });
    assert.deepEqual((await memberOf(slapd, slapd.userDn('bob'))).sort(), [slapd.groupDn('auditors'), slapd.groupDn('developers')].sort());
  });

  it('setPassword changes what binds', async () => {
    await slapd.setPassword('bob', 'new-bob-pw');
    assert.equal(await bindAs(slapd, slapd.userDn('bob'), 'bob-pw'), false);
    assert.equal(await bindAs(slapd, slapd.userDn('bob'), 'new-bob-pw'), true);
  });

  it('removeUser makes the bind fail', async () => {
    await slapd.addUser({ uid: 'carol', password: 'carol-pw' });
    await slapd.addGroup({ cn: 'carols', members: ['carol'] });
    assert.equal(await bindAs(slapd, slapd.userDn('carol'), 'carol-pw'), true);
    await slapd.removeUser('carol');
    assert.equal(await bindAs(slapd, slapd.userDn('carol'), 'carol-pw'), false);
    // refint: the group loses the member, the admin standing in as the last one. slapd's
    // refint overlay does this in a thread of its own after answering the delete, so wait.
    let left: string[] = [];
    for (let i = 0; i < 50; i++) {
      left = await members(slapd, slapd.groupDn('carols'));
      if (left.length === 1 && left[0] === slapd.adminDn) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(left, [slapd.adminDn]);
  });

  it('stop() ends the process and removes its directory', async () => {
    const other = await startSlapd();
    const proc = slapdProcess(other.url);
    assert.ok(proc, `no slapd process serving ${other.url}`);
    assert.ok(existsSync(proc.configDir));
    await other.stop();
    assert.equal(existsSync(`/proc/${proc.pid}`), false);
    assert.equal(existsSync(path.dirname(proc.configDir)), false);
    await assert.rejects(bindAs(other, other.adminDn, other.adminPassword), /ECONNREFUSED|connect/i);
  });
});
