// The embedded default: Berth with no DATABASE_URL runs a private PostgreSQL under
// BERTH_DATA_DIR/postgres, for every worker process, and stops it when it stops; kill -9 of
// Berth or of the postmaster leaves a cluster that serves on. Needs `npm run build`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { repoRoot, startBerth, type BerthProcess } from '../helpers/berthProcess.js';
import { getBytes, pushImage } from '../helpers/v2client.js';
import { admin, createProject } from '../helpers/api.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function postmasterPid(dataDir: string): number | undefined {
  try {
    return Number(readFileSync(path.join(dataDir, 'postgres/data/postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, ms = 15_000): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(50)) if (!alive(pid)) return true;
  return false;
}

/** A client of the embedded cluster, the way Berth connects (socket and stored password). */
function embeddedClient(dataDir: string): pg.Client {
  const password = readFileSync(path.join(dataDir, 'postgres/password'), 'utf8').trim();
  return new pg.Client({ host: path.join(dataDir, 'postgres/run'), user: 'berth', password, database: 'berth' });
}

function runNode(script: string, env: Record<string, string>, ms = 60_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, script)], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('embedded PostgreSQL (no DATABASE_URL)', function () {
  this.timeout(180_000);
  let dataDir: string;
  const running: BerthProcess[] = [];
  const launch = async () => {
    const b = await startBerth({ database: 'embedded', dataDir, workers: 2, env: { BERTH_LOG_LEVEL: 'info' } });
    running.push(b);
    return b;
  };

  before(async () => {
    // mkdtemp makes it 0700: as root, Berth must let the cluster's user pass through.
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'berth-embedded-'));
  });
  after(async () => {
    for (const b of running.splice(0)) await b.kill();
    const pid = postmasterPid(dataDir);
    if (pid && alive(pid)) process.kill(pid, 'SIGQUIT');
    await rm(dataDir, { recursive: true, force: true });
  });

  let image: { digest: string };
  let first: BerthProcess;

  it('starts on an empty data directory with two workers, on a Unix socket only, behind a password', async () => {
    const started = Date.now();
    first = await launch();
    const firstStartMs = Date.now() - started;
    assert.match(first.output(), /embedded PostgreSQL initialised/);
    assert.match(first.output(), /"database":"embedded"/);
    console.log(`      first start (initdb, migrations, two workers) healthy after ${firstStartMs} ms`);
    await createProject(first.url, 'emb');
    image = await pushImage(first.url, 'emb/app', 'v1');
    // Both workers answer from the same database: many fresh connections spread over them.
    for (let i = 0; i < 20; i++) {
      const res = await getBytes(`${first.url}/v2/emb/app/manifests/v1`, { headers: { Connection: 'close' } });
      assert.equal(res.headers.get('docker-content-digest'), image.digest);
    }

    const run = path.join(dataDir, 'postgres/run');
    assert.equal(statSync(run).mode & 0o777, 0o700, 'only the cluster user (and root) enter the socket directory');
    assert.equal(statSync(path.join(dataDir, 'postgres/password')).mode & 0o777, 0o600);
    const c = embeddedClient(dataDir);
    await c.connect();
    try {
      assert.equal((await c.query('SHOW listen_addresses')).rows[0].listen_addresses, '', 'no TCP listener');
      const hba = (await c.query<{ auth_method: string }>("SELECT DISTINCT auth_method FROM pg_hba_file_rules WHERE type = 'local'")).rows.map(
        (r) => r.auth_method,
      );
      assert.deepEqual(hba, ['scram-sha-256']);
    } finally {
      await c.end();
    }
    const wrong = new pg.Client({ host: run, user: 'berth', password: 'not-the-password', database: 'berth' });
    await assert.rejects(wrong.connect(), /password authentication failed/);
  });

  it('refuses a second Berth on the same BERTH_DATA_DIR while the first runs', async () => {
    const r = await runNode('dist/server/main.js', { BERTH_DATA_DIR: dataDir, PORT: '0', BERTH_WORKERS: '1', BERTH_ADMIN_PASSWORD: admin.password });
    assert.notEqual(r.code, 0);
    assert.match(r.out, /is in use by process \d+ \(another Berth on the same BERTH_DATA_DIR\?\)/);
    // The first one is untouched.
    assert.equal((await getBytes(`${first.url}/v2/emb/app/manifests/v1`)).headers.get('docker-content-digest'), image.digest);
  });

  it('lets tools join the running cluster (audit:verify)', async () => {
    const r = await runNode('dist/server/audit/verifyCli.js', { BERTH_DATA_DIR: dataDir });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /"intact":true/);
  });

  it('starts the postmaster again when it dies under a running Berth', async () => {
    const pid = postmasterPid(dataDir)!;
    process.kill(pid, 'SIGKILL');
    assert.ok(await gone(pid));
    let served = false;
    for (const deadline = Date.now() + 30_000; !served && Date.now() < deadline; await sleep(200)) {
      const res = await getBytes(`${first.url}/v2/emb/app/manifests/v1`).catch(() => undefined);
      served = res?.headers.get('docker-content-digest') === image.digest;
    }
    assert.ok(served, `not served again after the postmaster was killed:\n${first.output().slice(-2000)}`);
    assert.notEqual(postmasterPid(dataDir), pid);
    assert.match(first.output(), /the embedded PostgreSQL exited; starting it again/);
  });

  it('after kill -9 of Berth, its PostgreSQL shuts down, and the next start serves what was pushed', async () => {
    const pid = postmasterPid(dataDir)!;
    await first.kill(); // SIGKILL to Berth's process group: primary and workers
    running.splice(running.indexOf(first), 1);
    assert.ok(await gone(pid), 'the postmaster outlived the Berth that started it');
    assert.match(readFileSync(path.join(dataDir, 'postgres/postgres.log'), 'utf8'), /received fast shutdown request/);

    const second = await launch();
    assert.doesNotMatch(second.output(), /initialised/);
    assert.equal((await getBytes(`${second.url}/v2/emb/app/manifests/v1`)).headers.get('docker-content-digest'), image.digest);
    await pushImage(second.url, 'emb/app', 'v2');

    // SIGTERM: Berth stops, and its PostgreSQL with it, cleanly.
    const pid2 = postmasterPid(dataDir)!;
    await second.stop();
    running.splice(running.indexOf(second), 1);
    assert.ok(!alive(pid2), 'the postmaster is stopped before Berth exits');
    assert.ok(!existsSync(path.join(dataDir, 'postgres/data/postmaster.pid')));
  });

  it('lets a tool start the cluster itself when no Berth runs, and stop it again', async () => {
    const r = await runNode('dist/server/audit/verifyCli.js', { BERTH_DATA_DIR: dataDir });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /"intact":true/);
    assert.ok(!existsSync(path.join(dataDir, 'postgres/data/postmaster.pid')), 'the tool left its PostgreSQL running');
  });
});
