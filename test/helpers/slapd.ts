// A real OpenLDAP server for tests: Debian's slapd, one child process per startSlapd() call,
// each with its own cn=config directory and mdb database in a fresh temp dir (the system's
// /etc/ldap/slapd.d is never read), listening only on ldap://127.0.0.1:<free port>/.
//
//   <tmp>/berth-slapd-XXXX/
//     config.ldif     the cn=config we generate, loaded with `slapadd -n0`
//     slapd.d/        slapd's config directory (-F)
//     data/           the mdb database of dc=berth,dc=test
//
// The directory tree: dc=berth,dc=test, ou=people (inetOrgPerson users, uid=...), ou=groups
// (groupOfNames, cn=...). The memberof overlay gives members a memberOf attribute (direct
// membership only: a nested group's members get the inner group, the inner group gets the
// outer one); refint keeps member values right when an entry is deleted.
// slapd runs in the foreground (`-d none`: no daemonizing, errors only, on stderr) and is
// SIGKILLed when the test process exits, so a crashed test does not leave it running.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AlreadyExistsError, Attribute, Change, Client } from 'ldapts';
import { freePort } from './local.js';
import { selfSignedCertificate } from './tls.js';

const slapdBin = process.env.BERTH_TEST_SLAPD ?? '/usr/sbin/slapd';
const slapaddBin = process.env.BERTH_TEST_SLAPADD ?? '/usr/sbin/slapadd';
const modulePath = '/usr/lib/ldap';
const schemaDir = '/etc/ldap/schema';
const schemas = ['core', 'cosine', 'inetorgperson', 'nis'];

const baseDn = 'dc=berth,dc=test';
const adminDn = `cn=admin,${baseDn}`;
const adminPassword = 'berth-ldap-admin';
const startTimeoutMs = 15_000;
const stopTimeoutMs = 5_000;

export interface LdapUser {
  uid: string;
  password: string;
  /** Defaults to the uid; also used as sn. */
  cn?: string;
  mail?: string;
  /** The ou the user lives under; default 'people'. */
  ou?: string;
}

export interface LdapGroup {
  cn: string;
  /** A full DN if it contains '=' (e.g. another group's, for nesting), else a user's uid. Empty: the admin DN stands in (groupOfNames needs a member). */
  members: string[];
  /** The ou the group lives under; default 'groups'. */
  ou?: string;
}

export interface Slapd {
  /** ldap://127.0.0.1:PORT */
  url: string;
  /** With `tls`: ldaps://127.0.0.1:PORT, with a self-signed certificate for 127.0.0.1 (StartTLS on `url` too). */
  tlsUrl?: string;
  baseDn: string;
  adminDn: string;
  adminPassword: string;
  /** The DN of a user added through this helper, else uid=...,ou=people,<baseDn>. */
  userDn(uid: string): string;
  /** The DN of a group added through this helper, else cn=...,ou=groups,<baseDn>. */
  groupDn(cn: string): string;
  addUser(u: LdapUser): Promise<void>;
  addGroup(g: LdapGroup): Promise<void>;
  setPassword(uid: string, password: string): Promise<void>;
  removeUser(uid: string): Promise<void>;
  /** Stops slapd, waits for it to exit and removes its directory. */
  stop(): Promise<void>;
}

// Every slapd still running, with its directory, for the exit hook.
const running = new Map<ChildProcess, string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [child, dir] of running) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** Starts a slapd with ou=people and ou=groups, then adds the seed users, then the seed groups (inner groups before the groups that name them). */
export async function startSlapd(seed: { users?: LdapUser[]; groups?: LdapGroup[]; tls?: boolean } = {}): Promise<Slapd> {
  installExitHook();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-slapd-'));
  let child: ChildProcess;
  let url: string;
  let tlsUrl: string | undefined;
  try {
    mkdirSync(path.join(dir, 'slapd.d'));
    mkdirSync(path.join(dir, 'data'));
    if (seed.tls) selfSignedCertificate(dir);
    writeFileSync(path.join(dir, 'config.ldif'), configLdif(dir, seed.tls ?? false));
    await run(slapaddBin, ['-n0', '-F', path.join(dir, 'slapd.d'), '-l', path.join(dir, 'config.ldif')]);
    ({ child, url, tlsUrl } = await listen(dir, seed.tls ?? false));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const userDns = new Map<string, string>();
  const groupDns = new Map<string, string>();
  const userDn = (uid: string) => userDns.get(uid) ?? `uid=${escapeDnValue(uid)},ou=people,${baseDn}`;
  const groupDn = (cn: string) => groupDns.get(cn) ?? `cn=${escapeDnValue(cn)},ou=groups,${baseDn}`;

  const asAdmin = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ url, timeout: 10_000, connectTimeout: 5_000 });
    try {
      await client.bind(adminDn, adminPassword);
      return await fn(client);
    } finally {
      await client.unbind().catch(() => {});
    }
  };
  const ensureOu = (client: Client, ou: string) =>
    client.add(`ou=${escapeDnValue(ou)},${baseDn}`, { objectClass: ['organizationalUnit'], ou }).catch((err: unknown) => {
      if (!(err instanceof AlreadyExistsError)) throw err;
    });

  const slapd: Slapd = {
    url,
    tlsUrl,
    baseDn,
    adminDn,
    adminPassword,
    userDn,
    groupDn,
    addUser: (u) =>
      asAdmin(async (client) => {
        const ou = u.ou ?? 'people';
        if (ou !== 'people') await ensureOu(client, ou);
        const dn = `uid=${escapeDnValue(u.uid)},ou=${escapeDnValue(ou)},${baseDn}`;
        const cn = u.cn ?? u.uid;
        const attrs: Record<string, string | string[]> = {
          objectClass: ['inetOrgPerson'],
          uid: u.uid,
          cn,
          sn: cn,
          userPassword: ssha(u.password),
        };
        if (u.mail !== undefined) attrs.mail = u.mail;
        await client.add(dn, attrs);
        userDns.set(u.uid, dn);
      }),
    addGroup: (g) =>
      asAdmin(async (client) => {
        const ou = g.ou ?? 'groups';
        if (ou !== 'groups') await ensureOu(client, ou);
        const dn = `cn=${escapeDnValue(g.cn)},ou=${escapeDnValue(ou)},${baseDn}`;
        const members = g.members.map((m) => (m.includes('=') ? m : userDn(m)));
        await client.add(dn, { objectClass: ['groupOfNames'], cn: g.cn, member: members.length > 0 ? members : [adminDn] });
        groupDns.set(g.cn, dn);
      }),
    setPassword: (uid, password) =>
      asAdmin((client) =>
        client.modify(userDn(uid), new Change({ operation: 'replace', modification: new Attribute({ type: 'userPassword', values: [ssha(password)] }) })),
      ),
    removeUser: (uid) =>
      asAdmin(async (client) => {
        await client.del(userDn(uid));
        userDns.delete(uid);
      }),
    stop: () => stopChild(child, dir),
  };

  try {
    await asAdmin(async (client) => {
      await client.add(baseDn, { objectClass: ['dcObject', 'organization'], dc: 'berth', o: 'Berth test' });
      await ensureOu(client, 'people');
      await ensureOu(client, 'groups');
    });
    for (const u of seed.users ?? []) await slapd.addUser(u);
    for (const g of groupsInOrder(seed.groups ?? [], groupDn)) await slapd.addGroup(g);
  } catch (err) {
    await slapd.stop();
    throw err;
  }
  return slapd;
}

/**
 * Spawns slapd on a free port and waits until the admin can bind. A port taken between
 * freePort() and slapd's bind() makes slapd exit with EADDRINUSE: try another one.
 */
async function listen(dir: string, tls: boolean): Promise<{ child: ChildProcess; url: string; tlsUrl?: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `ldap://127.0.0.1:${port}/`;
    const tlsUrl = tls ? `ldaps://127.0.0.1:${await freePort()}/` : undefined;
    const child = spawn(slapdBin, ['-F', path.join(dir, 'slapd.d'), '-h', tlsUrl ? `${url} ${tlsUrl}` : url, '-d', 'none'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    running.set(child, dir);
    const output: string[] = [];
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      output.push(...chunk.split('\n').filter((l) => l !== ''));
      output.splice(0, Math.max(0, output.length - 40));
    });
    const exited = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) => resolve(`exited with ${signal ?? `code ${code}`}`));
      child.once('error', (err) => resolve(`could not be started: ${err.message}`));
    });
    const stopPolling = new AbortController();
    const outcome = await Promise.race([exited, answering(url, stopPolling.signal)]);
    stopPolling.abort();
    if (outcome === 'ready') return { child, url, tlsUrl };
    running.delete(child);
    if (outcome === 'timeout') child.kill('SIGKILL');
    const tail = output.join('\n');
    if (attempt < 5 && /errno=98|Address already in use/.test(tail)) continue;
    throw new Error(
      `slapd (${slapdBin}) ${outcome === 'timeout' ? `did not answer on ${url} within ${startTimeoutMs} ms` : outcome}; its last output:\n${tail || '(none)'}`,
    );
  }
}

/** Resolves 'ready' once a rootdn bind on url succeeds, 'timeout' after startTimeoutMs (or when signal aborts). */
async function answering(url: string, signal: AbortSignal): Promise<'ready' | 'timeout'> {
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline && !signal.aborted) {
    const client = new Client({ url, timeout: 2_000, connectTimeout: 1_000 });
    try {
      await client.bind(adminDn, adminPassword);
      return 'ready';
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    } finally {
      await client.unbind().catch(() => {});
    }
  }
  return 'timeout';
}

async function stopChild(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
    await exited;
    clearTimeout(timer);
  }
  running.delete(child);
  rmSync(dir, { recursive: true, force: true });
}

/** The cn=config of one test server; all paths inside dir. */
function configLdif(dir: string, tls: boolean): string {
  const tlsFiles = tls ? [`olcTLSCertificateFile: ${path.join(dir, 'cert.pem')}`, `olcTLSCertificateKeyFile: ${path.join(dir, 'key.pem')}`] : [];
  const entries = [
    ['dn: cn=config', 'objectClass: olcGlobal', 'cn: config', `olcPidFile: ${path.join(dir, 'slapd.pid')}`, ...tlsFiles],
    [
      'dn: cn=module{0},cn=config',
      'objectClass: olcModuleList',
      'cn: module{0}',
      `olcModulePath: ${modulePath}`,
      'olcModuleLoad: back_mdb',
      'olcModuleLoad: memberof',
      'olcModuleLoad: refint',
    ],
    ['dn: cn=schema,cn=config', 'objectClass: olcSchemaConfig', 'cn: schema'],
    ...schemas.map((s) => [`include: file://${path.join(schemaDir, `${s}.ldif`)}`]),
    ['dn: olcDatabase={-1}frontend,cn=config', 'objectClass: olcDatabaseConfig', 'objectClass: olcFrontendConfig', 'olcDatabase: {-1}frontend'],
    ['dn: olcDatabase={0}config,cn=config', 'objectClass: olcDatabaseConfig', 'olcDatabase: {0}config', 'olcAccess: {0}to * by * none'],
    [
      'dn: olcDatabase={1}mdb,cn=config',
      'objectClass: olcDatabaseConfig',
      'objectClass: olcMdbConfig',
      'olcDatabase: {1}mdb',
      `olcSuffix: ${baseDn}`,
      `olcRootDN: ${adminDn}`,
      `olcRootPW: ${adminPassword}`,
      `olcDbDirectory: ${path.join(dir, 'data')}`,
      'olcDbMaxSize: 67108864',
      'olcDbIndex: objectClass eq',
      'olcDbIndex: uid,cn,member,memberOf eq',
      'olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none',
      'olcAccess: {1}to * by * read',
    ],
    [
      'dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config',
      'objectClass: olcOverlayConfig',
      'objectClass: olcMemberOf',
      'olcOverlay: {0}memberof',
      'olcMemberOfRefInt: TRUE',
      'olcMemberOfGroupOC: groupOfNames',
      'olcMemberOfMemberAD: member',
      'olcMemberOfMemberOfAD: memberOf',
    ],
    [
      'dn: olcOverlay={1}refint,olcDatabase={1}mdb,cn=config',
      'objectClass: olcOverlayConfig',
      'objectClass: olcRefintConfig',
      'olcOverlay: {1}refint',
      'olcRefintAttribute: member',
      // A group whose last member is deleted keeps the admin as its member (groupOfNames needs one).
      `olcRefintNothing: ${adminDn}`,
    ],
  ];
  return `${entries.map((e) => e.join('\n')).join('\n\n')}\n`;
}

/** Seed groups ordered so a group comes after the seed groups it names as members (memberof sets memberOf only on entries that exist). */
function groupsInOrder(groups: LdapGroup[], groupDn: (cn: string) => string): LdapGroup[] {
  const dnOf = (g: LdapGroup) => (g.ou === undefined ? groupDn(g.cn) : `cn=${escapeDnValue(g.cn)},ou=${escapeDnValue(g.ou)},${baseDn}`).toLowerCase();
  const pending = [...groups];
  const ordered: LdapGroup[] = [];
  while (pending.length > 0) {
    const pendingDns = new Set(pending.map(dnOf));
    const i = pending.findIndex((g) => g.members.every((m) => !pendingDns.has(m.toLowerCase()) || m.toLowerCase() === dnOf(g)));
    // A cycle: add the rest as given.
    if (i < 0) return [...ordered, ...pending];
    ordered.push(...pending.splice(i, 1));
  }
  return ordered;
}

/** {SSHA}: base64(sha1(password + salt) + salt). */
function ssha(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

/** An attribute value made safe inside a DN (RFC 4514 section 2.4). */
function escapeDnValue(value: string): string {
  return value
    .replace(/[,+"\\<>;=]/g, '\\$&')
    .replace(/^[ #]/, '\\$&')
    .replace(/ $/, '\\ ');
}

async function run(file: string, args: string[]): Promise<void> {
  try {
    await promisify(execFile)(file, args);
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${e.message}\n${(e.stderr ?? '').trim()}`);
  }
}
