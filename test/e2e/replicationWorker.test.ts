// Replication as an operator runs it: Berth processes, rules through the API, and workers
// that are real processes. With CNCF Distribution (Debian docker-registry) as the other
// side, push and pull rules keep digests identical (the worker inside the server, as on the
// embedded database). On PostgreSQL, a separate `npm run worker` process is killed with
// SIGKILL in the middle of a large layer; another worker takes the task over once the
// lease runs out and the execution still ends Succeed, byte for byte.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { admin, basic, createProject } from '../helpers/api.js';
import { repoRoot, startBerth, type BerthProcess } from '../helpers/berthProcess.js';
import { asBody, pushBlob, pushImage, v2fetch } from '../helpers/v2client.js';
import { dumpLogsOnFailure } from './support/diagnostics.js';
import { startRegistry, type TargetRegistry } from './support/registry.js';

const json = { Authorization: basic(admin), 'Content-Type': 'application/json' };
const api = (base: string, method: string, p: string, body?: unknown) =>
  fetch(`${base}/api/v2.0${p}`, { method, headers: json, body: body === undefined ? undefined : JSON.stringify(body) });
async function created(res: Response): Promise<number> {
  assert.equal(res.status, 201, await res.clone().text());
  return Number(res.headers.get('Location')!.split('/').pop());
}
async function finished(base: string, id: number, timeoutMs: number): Promise<{ status: string; [k: string]: unknown }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const e = await (await api(base, 'GET', `/replication/executions/${id}`)).json();
    if (e.status !== 'InProgress') return e;
    if (Date.now() > until) throw new Error(`execution ${id} still running: ${JSON.stringify(e)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
async function manifestDigest(base: string, repo: string, ref: string, auth = true): Promise<string | undefined> {
  const headers = { Accept: 'application/vnd.oci.image.manifest.v1+json' };
  const res = auth
    ? await v2fetch(`${base}/v2/${repo}/manifests/${ref}`, { method: 'HEAD', headers })
    : await fetch(`${base}/v2/${repo}/manifests/${ref}`, { method: 'HEAD', headers });
  return res.status === 200 ? (res.headers.get('docker-content-digest') ?? undefined) : undefined;
}

/** Streams a layer of `size` random bytes through one chunked upload; returns its digest. */
async function pushLargeLayer(base: string, repo: string, size: number): Promise<string> {
  const start = await v2fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  let location = new URL(start.headers.get('location')!, base).toString();
  const hash = createHash('sha256');
  const chunk = 8 * 1024 * 1024;
  for (let offset = 0; offset < size; offset += chunk) {
    const part = randomBytes(Math.min(chunk, size - offset));
    hash.update(part);
    const res = await v2fetch(location, {
      method: 'PATCH',
      body: asBody(part),
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${offset + part.length - 1}` },
    });
    assert.equal(res.status, 202, await res.text());
    location = new URL(res.headers.get('location')!, base).toString();
  }
  const digest = `sha256:${hash.digest('hex')}`;
  const done = await v2fetch(`${location}${location.includes('?') ? '&' : '?'}digest=${digest}`, { method: 'PUT' });
  assert.equal(done.status, 201, await done.text());
  return digest;
}

describe(`e2e: replication rules and workers`, function () {
  this.timeout(300_000);
  const key = randomBytes(32).toString('base64');
  let a: BerthProcess | undefined;
  let distribution: TargetRegistry | undefined;
  const workers: Array<{ child: ChildProcess; out: () => string }> = [];

  before(async () => {
    [a, distribution] = await Promise.all([startBerth({ env: { BERTH_REPLICATION_ALLOW: 'loopback', BERTH_SECRET_KEY: key } }), startRegistry('distribution')]);
    await createProject(a.url, 'site');
  });
  afterEach(function () {
    dumpLogsOnFailure(this, [
      ['berth', () => a?.output() ?? ''],
      ['distribution', () => distribution?.output() ?? ''],
      ...workers.map((w, i) => [`worker ${i}`, w.out] as [string, () => string]),
    ]);
  });
  after(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await a?.dispose();
    await distribution?.dispose();
  });

  it('pushes to CNCF Distribution and pulls from it by rule, with identical digests', async () => {
    const img = await pushImage(a!.url, 'site/app', 'v1');
    const dist = await created(await api(a!.url, 'POST', '/registries', { name: 'distribution', type: 'docker-registry', url: distribution!.url }));
    const push = await created(
      await api(a!.url, 'POST', '/replication/policies', { name: 'to-dist', dest_registry: { id: dist }, filters: [{ type: 'name', value: 'site/app' }] }),
    );
    const e1 = await finished(a!.url, await created(await api(a!.url, 'POST', '/replication/executions', { policy_id: push })), 60_000);
    assert.equal(e1.status, 'Succeed', JSON.stringify(e1));
    assert.equal(await manifestDigest(distribution!.url, 'site/app', 'v1', false), img.digest);

    // And back from Distribution's catalog into another project, created on the way.
    const pull = await created(
      await api(a!.url, 'POST', '/replication/policies', {
        name: 'from-dist',
        src_registry: { id: dist },
        dest_namespace: 'pulled',
        filters: [{ type: 'name', value: 'site/**' }],
      }),
    );
    const e2 = await finished(a!.url, await created(await api(a!.url, 'POST', '/replication/executions', { policy_id: pull })), 60_000);
    assert.equal(e2.status, 'Succeed', JSON.stringify(e2));
    assert.equal(await manifestDigest(a!.url, 'pulled/app', 'v1'), img.digest);
  });

  it('finishes a copy whose worker process was killed (SIGKILL) in the middle of a large layer', async () => {
    const b = await startBerth({ env: { BERTH_REPLICATION_WORKER: 'false' } });
    // A's own worker is off: only the worker processes below copy.
    const src = await startBerth({ env: { BERTH_REPLICATION_ALLOW: 'loopback', BERTH_SECRET_KEY: key, BERTH_REPLICATION_WORKER: 'false' } });
    const startWorker = () => {
      const child = spawn(process.execPath, [path.join(repoRoot, 'dist/replication/main.js')], {
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: src.databaseUrl!,
          BERTH_DATA_DIR: src.dataDir,
          BERTH_SECRET_KEY: key,
          BERTH_REPLICATION_ALLOW: 'loopback',
          BERTH_REPLICATION_LOCAL_URL: src.url,
          BERTH_REPLICATION_LEASE: '4s',
          BERTH_LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      workers.push({ child, out: () => out });
      return child;
    };
    try {
      await createProject(src.url, 'big');
      await createProject(b.url, 'big');
      const size = 96 * 1024 * 1024;
      const layer = await pushLargeLayer(src.url, 'big/image', size);
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await pushBlob(src.url, 'big/image', config), size: config.length },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size }],
        }),
      );
      const put = await v2fetch(`${src.url}/v2/big/image/manifests/v1`, {
        method: 'PUT',
        body: asBody(manifest),
        headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      });
      assert.equal(put.status, 201);
      const digest = put.headers.get('docker-content-digest')!;

      const toB = await created(
        await api(src.url, 'POST', '/registries', {
          name: 'b',
          type: 'berth',
          url: b.url,
          credential: { access_key: admin.username, access_secret: admin.password },
        }),
      );
      // 16 MiB/s: the layer takes about 6 s, long enough to kill the worker in the middle.
      const rule = await created(
        await api(src.url, 'POST', '/replication/policies', {
          name: 'big',
          dest_registry: { id: toB },
          filters: [{ type: 'name', value: 'big/**' }],
          speed: 16 * 1024,
        }),
      );
      const first = startWorker();
      const exec = await created(await api(src.url, 'POST', '/replication/executions', { policy_id: rule }));
      const until = Date.now() + 60_000;
      for (;;) {
        const [t] = await (await api(src.url, 'GET', `/replication/executions/${exec}/tasks`)).json();
        if (t && t.status === 'InProgress' && t.bytes > 16 * 1024 * 1024) break;
        if (Date.now() > until) throw new Error(`the copy did not get going: ${JSON.stringify(t)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      assert.equal(await manifestDigest(b.url, 'big/image', 'v1'), undefined, 'no tag before its content is complete');
      startWorker();
      const e = await finished(src.url, exec, 120_000);
      assert.equal(e.status, 'Succeed', JSON.stringify(e));
      const [t] = await (await api(src.url, 'GET', `/replication/executions/${exec}/tasks`)).json();
      assert.equal(t.attempts, 2);
      const log = await (await api(src.url, 'GET', `/replication/executions/${exec}/tasks/${t.id}/log`)).text();
      assert.match(log, /stopped answering|took over from worker/);
      assert.equal(await manifestDigest(b.url, 'big/image', 'v1'), digest);
      // The layer on B is the layer on A, byte for byte (its digest is checked on the way in).
      const blob = await v2fetch(`${b.url}/v2/big/image/blobs/${layer}`, { method: 'HEAD' });
      assert.equal(blob.status, 200);
      assert.equal(Number(blob.headers.get('content-length')), size);
    } finally {
      await src.dispose();
      await b.dispose();
    }
  });
});
