// The built server as an operator runs it: restarts (kill -9 included), several servers
// over one database and one blob directory, refusing bad settings. Needs `npm run build`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { repoRoot, startBerth, type BerthProcess } from '../helpers/berthProcess.js';
import { asBody, getBytes, pushImage, randomBlob, v2fetch } from '../helpers/v2client.js';
import { admin, basic, createProject } from '../helpers/api.js';
import { s3Env } from '../helpers/s3.js';

describe(`server process`, function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let dataDir: string;
  const running: BerthProcess[] = [];
  const database = () => ({ url: db.url });

  beforeEach(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'berth-proc-'));
  });
  afterEach(async () => {
    for (const p of running.splice(0)) await p.kill();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function launch(env: Record<string, string> = {}): Promise<BerthProcess> {
    const p = await startBerth({ database: database(), dataDir, env: { BERTH_LOG_LEVEL: 'info', ...env } });
    running.push(p);
    return p;
  }

  it('continues a chunked upload after kill -9 from the offset it reports, and migrates only once', async () => {
    const { data, digest } = randomBlob(3_000_000);
    let berth = await launch();
    assert.match(berth.output(), /"applied":\[1,2/);
    await createProject(berth.url, 'crash');
    const loc = (await v2fetch(`${berth.url}/v2/crash/test/blobs/uploads/`, { method: 'POST' })).headers.get('location')!;
    const first = await v2fetch(`${berth.url}${loc}`, { method: 'PATCH', body: asBody(data.subarray(0, 1_000_000)), headers: { 'Content-Range': '0-999999' } });
    assert.equal(first.status, 202);
    await berth.kill();
    running.pop();

    berth = await launch();
    assert.match(berth.output(), /"applied":\[\]/, 'the second start applies no migration');
    const status = await v2fetch(`${berth.url}${loc}`);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-999999');
    const rest = await v2fetch(`${berth.url}${loc}`, {
      method: 'PATCH',
      body: asBody(data.subarray(1_000_000)),
      headers: { 'Content-Range': `1000000-${data.length - 1}` },
    });
    assert.equal(rest.status, 202);
    assert.equal((await v2fetch(`${berth.url}${loc}?digest=${digest}`, { method: 'PUT' })).status, 201);
    assert.ok((await getBytes(`${berth.url}/v2/crash/test/blobs/${digest}`)).body.equals(data));
  });

  async function twoServers(a: BerthProcess, b: BerthProcess): Promise<void> {
    await createProject(a.url, 'shared');
    // 3 MiB chunks: on S3, under a part's 5 MiB minimum, so each server takes over the
    // other's tail and parts of one multipart upload.
    const chunk = 3 * 1024 * 1024;
    const { data, digest } = randomBlob(4 * chunk);
    const loc = (await v2fetch(`${a.url}/v2/shared/repo/blobs/uploads/`, { method: 'POST' })).headers.get('location')!;
    for (let i = 0; i < 4; i++) {
      const server = i % 2 ? b : a;
      const start = i * chunk;
      const res = await v2fetch(`${server.url}${loc}`, {
        method: 'PATCH',
        body: asBody(data.subarray(start, start + chunk)),
        headers: { 'Content-Range': `${start}-${start + chunk - 1}`, Connection: 'close' },
      });
      assert.equal(res.status, 202, `chunk ${i} via ${server.port}: ${await res.text()}`);
    }
    assert.equal((await v2fetch(`${b.url}${loc}?digest=${digest}`, { method: 'PUT' })).status, 201);
    assert.ok((await getBytes(`${a.url}/v2/shared/repo/blobs/${digest}`)).body.equals(data));

    const image = await pushImage(a.url, 'shared/img', 'v1');
    const viaB = await getBytes(`${b.url}/v2/shared/img/manifests/v1`);
    assert.equal(viaB.headers.get('docker-content-digest'), image.digest);
    const moved = await pushImage(b.url, 'shared/img', 'v1');
    assert.equal((await getBytes(`${a.url}/v2/shared/img/manifests/v1`)).headers.get('docker-content-digest'), moved.digest);
  }

  it('serves one upload from two servers sharing the database and blob directory', async () => {
    await twoServers(await launch({ BERTH_WORKERS: '2' }), await launch({ BERTH_WORKERS: '2' }));
  });

  it('serves one upload from two servers sharing the database and an S3 bucket', async () => {
    const s3 = await s3Env();
    await twoServers(await launch({ BERTH_WORKERS: '2', ...s3 }), await launch({ BERTH_WORKERS: '2', ...s3 }));
  });

  it('answers /metrics for the whole cluster, whichever worker takes the scrape', async () => {
    const berth = await launch({ BERTH_WORKERS: '2' });
    // New connections each time, so the requests spread over both workers.
    const get = (p: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        http
          .get(`${berth.url}${p}`, { agent: false }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode!, body }));
          })
          .on('error', reject);
      });
    for (let i = 0; i < 30; i++) assert.equal((await get('/v2/')).status, 401);
    const series = 'berth_http_requests_total{method="GET",route="/v2/",status="401"}';
    for (let i = 0; i < 6; i++) {
      const { status, body } = await get('/metrics');
      assert.equal(status, 200);
      const line = body.split('\n').find((l) => l.startsWith(`${series} `));
      assert.equal(Number(line?.split(' ')[1]), 30, "every scrape sees both workers' requests");
    }
  });

  it('refuses to start on an unknown or invalid setting, naming it', () => {
    const main = path.join(repoRoot, 'dist/server/main.js');
    for (const [env, named] of [
      [{ BERTH_WORKER: '2' }, /BERTH_WORKER: unknown setting/],
      [{ PORT: 'http' }, /PORT="http"/],
      [{ BERTH_UPLOAD_MAX_AGE: '5 minutes' }, /BERTH_UPLOAD_MAX_AGE=/],
    ] as const) {
      const r = spawnSync(process.execPath, [main], { env: { PATH: process.env.PATH, BERTH_DATA_DIR: dataDir, ...env }, encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, named);
    }
  });

  it('creates admin once with a generated password shown once, when none is configured', async () => {
    let berth = await launch({ BERTH_ADMIN_PASSWORD: '' });
    const m = /created user "admin" with password: (\S+)/.exec(berth.output());
    assert.ok(m, berth.output());
    const auth = { Authorization: `Basic ${Buffer.from(`admin:${m[1]}`).toString('base64')}` };
    assert.equal((await fetch(`${berth.url}/v2/`, { headers: auth })).status, 200);
    assert.equal((await fetch(`${berth.url}/v2/`)).status, 401);
    await berth.stop();
    running.pop();
    berth = await launch({ BERTH_ADMIN_PASSWORD: '' });
    assert.doesNotMatch(berth.output(), /created user "admin"/);
    assert.equal((await fetch(`${berth.url}/v2/`, { headers: auth })).status, 200, 'the password survives restarts');
  });

  /** A PATCH whose body the test writes piece by piece; resolves with the status, or the socket's error. */
  function streamingPatch(berth: BerthProcess, location: string) {
    const req = http.request(`${berth.url}${location}`, {
      method: 'PATCH',
      headers: { Authorization: basic(admin), 'Content-Type': 'application/octet-stream' },
    });
    const outcome = new Promise<number | Error>((resolve) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', resolve);
    });
    return { req, outcome };
  }

  const exitOf = (berth: BerthProcess) =>
    new Promise<{ code: number | null; at: number }>((resolve) =>
      berth.child.exitCode !== null
        ? resolve({ code: berth.child.exitCode, at: Date.now() })
        : berth.child.once('exit', (code) => resolve({ code, at: Date.now() })),
    );

  const refused = (berth: BerthProcess) =>
    fetch(`${berth.url}/v2/`, { headers: { Connection: 'close' } }).then(
      () => false,
      () => true,
    );

  it('on SIGTERM stops taking connections, lets requests in flight finish, cuts those that outlast BERTH_SHUTDOWN_TIMEOUT, and exits', async () => {
    const done = randomBlob(2 * 1024 * 1024);
    const cut = randomBlob(1024 * 1024);
    let berth = await launch({ BERTH_SHUTDOWN_TIMEOUT: '3s' });
    await createProject(berth.url, 'drain');
    const startUpload = async () => (await v2fetch(`${berth.url}/v2/drain/app/blobs/uploads/`, { method: 'POST' })).headers.get('location')!;
    const [doneLoc, cutLoc] = [await startUpload(), await startUpload()];
    const finishing = streamingPatch(berth, doneLoc);
    const stalled = streamingPatch(berth, cutLoc);
    finishing.req.write(done.data.subarray(0, 1024 * 1024));
    stalled.req.write(cut.data.subarray(0, 512 * 1024)); // and never the rest
    await new Promise((r) => setTimeout(r, 300)); // both requests are being served
    const exited = exitOf(berth);
    const signalled = Date.now();
    berth.child.kill('SIGTERM');
    // Until its requests are done or cut the process stays, but it takes no new connection.
    for (let i = 0; !(await refused(berth)); i++) {
      assert.ok(i < 25, 'still taking connections 2.5 s after SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(berth.child.exitCode, null, 'gone before its requests finished');
    finishing.req.end(done.data.subarray(1024 * 1024));
    assert.equal(await finishing.outcome, 202, berth.output());
    assert.ok((await stalled.outcome) instanceof Error, 'the stalled request is cut');
    const { code, at } = await exited;
    running.pop();
    stalled.req.destroy();
    assert.equal(code, 0, berth.output());
    assert.ok(at - signalled >= 2_500 && at - signalled < 10_000, `exited ${at - signalled} ms after SIGTERM`);

    berth = await launch();
    // The finished chunk is committed: the next server carries on from there.
    const status = await v2fetch(`${berth.url}${doneLoc}`);
    assert.equal(status.headers.get('range'), `0-${done.data.length - 1}`);
    assert.equal((await v2fetch(`${berth.url}${doneLoc}?digest=${done.digest}`, { method: 'PUT' })).status, 201);
    assert.ok((await getBytes(`${berth.url}/v2/drain/app/blobs/${done.digest}`)).body.equals(done.data));
    // Nothing of the cut chunk counts: that session is still at 0 and takes the blob whole.
    const cutStatus = await v2fetch(`${berth.url}${cutLoc}`);
    assert.equal(cutStatus.status, 204);
    assert.equal(cutStatus.headers.get('range'), '0-0');
    const put = await v2fetch(`${berth.url}${cutLoc}?digest=${cut.digest}`, {
      method: 'PUT',
      body: asBody(cut.data),
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    assert.equal(put.status, 201, await put.text());
    assert.ok((await getBytes(`${berth.url}/v2/drain/app/blobs/${cut.digest}`)).body.equals(cut.data));
  });
});
