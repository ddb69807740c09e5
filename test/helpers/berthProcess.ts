// Starts the built server (dist/server/main.js) as a real child process, the way an
// operator runs it. Used by e2e tests, restart tests and the benchmark.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { admin } from './api.js';
import { freePort, repoRoot } from './local.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { processTree } from '../../bench/lib/procTree.js';

export { freePort, repoRoot } from './local.js';

/** Whether a process in the tree of `root` holds the listening socket of `port` (Linux /proc). */
async function listensOn(root: number, port: number): Promise<boolean> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(hex) && f[3] === '0A') inodes.add(f[9]);
    }
  }
  return (await processTree(root)).some(({ pid }) => {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      return false;
    }
    return fds.some((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return m !== null && inodes.has(m[1]);
      } catch {
        return false;
      }
    });
  });
}

export interface BerthProcessOptions {
  /** 'pg' (a fresh database, the default), 'embedded' (no DATABASE_URL), or an existing DATABASE_URL. */
  database?: 'pg' | 'embedded' | { url: string };
  /** Reuse a data directory (e.g. to restart on the same data). */
  dataDir?: string;
  port?: number;
  workers?: number;
  env?: Record<string, string>;
  /** Options for node itself, before the script (e.g. --cpu-prof for the profiling bench). */
  nodeArgs?: string[];
}

export interface BerthProcess {
  url: string; // http://127.0.0.1:PORT
  host: string; // 127.0.0.1:PORT, as clients write it in image references
  port: number;
  dataDir: string;
  databaseUrl?: string;
  pid: number;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** SIGKILL the process group (primary and workers), no cleanup. */
  kill(): Promise<void>;
  /** Stop, then drop the database and data directory this helper created. */
  dispose(): Promise<void>;
}

export async function startBerth(opts: BerthProcessOptions = {}): Promise<BerthProcess> {
  // A port picked free can still be taken by a Berth of a test file running alongside
  // before this one binds it; then the health check below would reach the other Berth.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startBerthOnce(opts);
    } catch (err) {
      if (!(err instanceof PortTaken) || opts.port !== undefined || attempt === 3) throw err;
    }
  }
}

class PortTaken extends Error {}

async function startBerthOnce(opts: BerthProcessOptions): Promise<BerthProcess> {
  const kind = opts.database ?? 'pg';
  let db: TestDatabase | undefined;
  let databaseUrl: string | undefined;
  if (kind === 'pg') {
    db = await createTestDatabase();
    databaseUrl = db.url;
  } else if (typeof kind === 'object') {
    databaseUrl = kind.url;
  }
  const ownDataDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'berth-data-')));
  const port = opts.port ?? (await freePort());
  // BERTH_TEST_STORAGE=s3: every Berth the tests start keeps its blobs in its own bucket.
  const storage = process.env.BERTH_TEST_STORAGE === 's3' && !opts.env?.BERTH_STORAGE ? await (await import('./s3.js')).s3Env() : {};
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    PORT: String(port),
    BERTH_HOST: '127.0.0.1',
    BERTH_DATA_DIR: dataDir,
    BERTH_LOG_LEVEL: 'warn',
    BERTH_ADMIN_PASSWORD: admin.password,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    BERTH_WORKERS: String(opts.workers ?? 2),
    ...storage,
    ...opts.env,
  };
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), path.join(repoRoot, 'dist/server/main.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so kill() reaches the cluster workers too
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(sig === 'SIGKILL' ? -child.pid! : child.pid!, sig);
    } catch {
      /* already gone */
    }
    await exited;
  };
  // What this helper created for the process: its database and data directory.
  const removeOwned = async () => {
    await db?.drop();
    if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`berth exited with ${child.exitCode} before listening:\n${out}`);
    try {
      const res = await fetch(`${url}/api/v2.0/health`);
      if (res.status === 200) {
        if (await listensOn(child.pid!, port)) break;
        await signal('SIGKILL');
        await removeOwned();
        throw new PortTaken(`port ${port} answers, but not from this Berth:\n${out}`);
      }
    } catch (err) {
      if (err instanceof PortTaken) throw err;
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`berth did not become healthy within 60s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    host: `127.0.0.1:${port}`,
    port,
    dataDir,
    databaseUrl,
    pid: child.pid!,
    child,
    output: () => out,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    async dispose() {
      await signal('SIGTERM');
      await removeOwned();
    },
  };
}
