// The two registries under test behind one shape, so every phase treats them alike.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { admin, basic, createProject } from '../../test/helpers/api.js';
import { freePort, repoRoot, startBerth } from '../../test/helpers/berthProcess.js';
import { s3Env, s3rverPid } from '../../test/helpers/s3.js';
import { authorizeOrigin } from './http.js';
import { processesMatching } from './procTree.js';

export interface Registry {
  name: string;
  url: string;
  /** Root of the process tree whose memory is sampled. */
  pid: number;
  /** How it was configured, for the results. */
  settings: string;
  /** The blob store's server process (s3rver), measured apart from the registry and from other work. */
  storePid?: number;
  /** Processes outside the tree whose CPU is the registry's cost (its database backends). */
  companions?(): Promise<number[]>;
  stop(): Promise<void>;
}

export const DISTRIBUTION_BIN = '/usr/bin/docker-registry';

export function distributionVersion(): string {
  const out = spawnSync(DISTRIBUTION_BIN, ['--version'], { encoding: 'utf8' });
  return out.stdout?.trim().split(' ').slice(-1)[0] || 'unknown';
}

/**
 * CNCF Distribution with its stock Debian storage settings (filesystem driver, in-memory
 * blob descriptor cache) but without auth and with the access log off, because Berth's
 * access log is off by default too and logging every request costs throughput.
 */
export async function startDistribution(): Promise<Registry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-distribution-'));
  const port = await freePort();
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(dir, 'data')}`,
    '  cache:',
    '    blobdescriptor: inmemory',
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n');
  await writeFile(path.join(dir, 'config.yml'), config);

  const child = spawn(DISTRIBUTION_BIN, ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-10_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}:\n${stderr}`);
    try {
      if ((await fetch(`${url}/v2/`)).status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer /v2/ within 30s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: 'Distribution',
    url,
    pid: child.pid!,
    settings: `Distribution ${distributionVersion()}, filesystem storage, inmemory blobdescriptor cache, GOMAXPROCS=${os.availableParallelism()} (default)`,
    stop,
  };
}

async function postgresVersion(): Promise<string> {
  const client = new pg.Client({ connectionString: process.env.BERTH_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0].server_version.split(' ')[0];
  } finally {
    await client.end();
  }
}

/** Finds the PostgreSQL backends serving one database by their process title. */
function backendsOf(databaseUrl: string): () => Promise<number[]> {
  const database = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  // Title: "postgres: <cluster>: <user> <database> <host>(<port>) <state>"
  const title = new RegExp(`^postgres: .*\\S+ ${database.replace(/\W/g, '\\$&')} `);
  return () => processesMatching(title);
}

function s3rverVersion(): string {
  return (JSON.parse(readFileSync(path.join(repoRoot, 'node_modules/s3rver/package.json'), 'utf8')) as { version: string }).version;
}

export async function startBerthForBench(database: 'pg' | 'embedded', workers: number, auditLog = true, storage: 'fs' | 's3' = 'fs'): Promise<Registry> {
  // On S3 the blobs go to a fresh bucket on s3rver (a child of this process, as in the tests).
  const env = { BERTH_AUDIT_LOG: String(auditLog), ...(storage === 's3' ? await s3Env() : { BERTH_STORAGE: 'fs' }) };
  const berth = await startBerth({ database, workers, env });
  // Auth is on, as in production: the bench's repositories live in a private project and
  // every request carries a bearer token from /service/token (docker's flow), so each
  // /v2 request pays for token verification. Distribution runs without auth.
  await createProject(berth.url, 'bench');
  const scopes = ['repository:bench/blobs:pull,push', 'repository:bench/manifests:pull,push', 'repository:bench/images:pull,push'];
  const q = new URLSearchParams({ service: 'berth' });
  for (const s of scopes) q.append('scope', s);
  const tokenRes = await fetch(`${berth.url}/service/token?${q}`, { headers: { Authorization: basic(admin) } });
  if (tokenRes.status !== 200) throw new Error(`token: ${tokenRes.status} ${await tokenRes.text()}`);
  authorizeOrigin(berth.url, `Bearer ${(await tokenRes.json()).token}`);
  const settings =
    database === 'pg'
      ? `PostgreSQL ${await postgresVersion()} on 127.0.0.1, BERTH_WORKERS=${workers}`
      : `embedded PostgreSQL (its binaries from npm, a Unix socket under BERTH_DATA_DIR; its processes are in Berth's tree), BERTH_WORKERS=${workers}`;
  const store =
    storage === 's3' ? `S3 blob store (s3rver ${s3rverVersion()} on 127.0.0.1, its files on the same disk; 10 MiB multipart parts)` : 'filesystem blob store';
  return {
    name: storage === 's3' ? 'Berth (S3)' : auditLog ? 'Berth' : 'Berth (audit off)',
    url: berth.url,
    pid: berth.pid,
    // The helper's defaults, spelled out because they affect throughput.
    settings: `${settings}, ${store}, bearer-token auth on every request, audit log ${auditLog ? 'on' : 'off'}, BERTH_LOG_LEVEL=warn, access log off, BERTH_DB_POOL_SIZE default`,
    storePid: storage === 's3' ? s3rverPid() : undefined,
    stop: () => berth.dispose(),
    companions: berth.databaseUrl ? backendsOf(berth.databaseUrl) : undefined,
  };
}
