// A replication worker that cannot reach its own Berth's /v2 (BERTH_REPLICATION_LOCAL_URL
// wrong, or PORT not given to a separate worker process) says so once, fails the
// executions it would start with that reason, keeps push events waiting, and shows in
// /api/v2.0/health, which still answers 200 so load balancers keep serving.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadSigningKeys } from '../../server/auth/signingKeys.js';
import { secretBox } from '../../server/replication/secretBox.js';
import { ReplicationWorker } from '../../replication/worker.js';
import { admin, basic, createProject } from '../helpers/api.js';
import { freePort, repoRoot } from '../helpers/berthProcess.js';
import { forwarder } from '../helpers/forwarder.js';
import { startTestRegistry, testSecretKey, testWorkerSettings, type TestRegistry } from '../helpers/inProcess.js';
import { pushImage, v2fetch } from '../helpers/v2client.js';

type Health = { status: string; components: Array<{ name: string; status: string; error?: string }> };

describe(`replication worker that cannot reach its Berth`, function () {
  this.timeout(60_000);
  let r: TestRegistry;
  let dest: TestRegistry;
  const workers: ReplicationWorker[] = [];
  const auth = { Authorization: basic(admin), 'Content-Type': 'application/json' };
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${r.url}/api/v2.0${path}`, { method, headers: auth, body: body === undefined ? undefined : JSON.stringify(body) });
  const created = async (res: Response) => {
    assert.equal(res.status, 201, await res.clone().text());
    return Number(res.headers.get('Location')!.split('/').pop());
  };
  const health = async (): Promise<{ code: number; body: Health }> => {
    const res = await fetch(`${r.url}/api/v2.0/health`);
    return { code: res.status, body: (await res.json()) as Health };
  };
  const eventually = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> => {
    for (const until = Date.now() + ms; ; ) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  };

  /** A worker in this process, with its log lines kept. */
  async function worker(
    localUrl: string,
    localGraceMs = 0,
  ): Promise<{ worker: ReplicationWorker; lines: Array<{ level: number; msg: string; setting?: string }> }> {
    const lines: Array<{ level: number; msg: string; setting?: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const keys = await loadSigningKeys(r.db);
    const w = new ReplicationWorker(
      {
        db: r.db,
        box: secretBox(testSecretKey),
        allow: { loopback: true, private: false },
        keys: () => keys,
        tokenService: 'berth',
        localUrl,
        log: pino({ level: 'info' }, sink),
      },
      // No grace unless asked: this test's registries listen before any worker starts.
      { ...testWorkerSettings, localGraceMs },
    );
    await w.start();
    workers.push(w);
    return { worker: w, lines };
  }

  before(async () => {
    [r, dest] = await Promise.all([startTestRegistry(), startTestRegistry()]);
    await createProject(r.url, 'src');
    await createProject(dest.url, 'mirror');
  });
  after(async () => {
    for (const w of workers) await w.stop();
    await Promise.all([r?.close(), dest?.close()]);
  });

  it('names the setting once, fails the execution with the reason, keeps events, and shows in health', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const { worker: lost, lines } = await worker(closed);
    const complaints = () => lines.filter((l) => l.level >= 50);
    assert.equal(complaints().length, 1, JSON.stringify(lines));
    assert.match(complaints()[0].msg, /BERTH_REPLICATION_LOCAL_URL/);
    assert.match(complaints()[0].msg, new RegExp(`cannot reach this Berth's /v2/ at ${closed}`));
    assert.equal(complaints()[0].setting, 'BERTH_REPLICATION_LOCAL_URL');

    const h = await health();
    assert.equal(h.code, 200, 'pushes and pulls still work: no load balancer should take this server out');
    assert.equal(h.body.status, 'unhealthy');
    const component = h.body.components.find((c) => c.name === 'replication_worker');
    assert.equal(component?.status, 'unhealthy', JSON.stringify(h.body));
    assert.match(component!.error!, /BERTH_REPLICATION_LOCAL_URL/);

    const registry = await created(
      await api('POST', '/registries', {
        name: 'dest',
        type: 'berth',
        url: dest.url,
        credential: { access_key: admin.username, access_secret: admin.password },
      }),
    );
    const manual = await created(
      await api('POST', '/replication/policies', {
        name: 'manual',
        dest_registry: { id: registry },
        dest_namespace: 'mirror',
        filters: [{ type: 'name', value: 'src/**' }],
      }),
    );
    const run = await created(await api('POST', '/replication/executions', { policy_id: manual }));
    const failed = await eventually('the execution to end', async () => {
      const e = await (await api('GET', `/replication/executions/${run}`)).json();
      return e.status === 'InProgress' ? undefined : e;
    });
    assert.equal(failed.status, 'Failed');
    assert.match(failed.status_text, /BERTH_REPLICATION_LOCAL_URL/);
    assert.equal(failed.total, 0, 'nothing was attempted');

    // A push that an event rule selects waits in the outbox rather than failing.
    await created(
      await api('POST', '/replication/policies', {
        name: 'on-push',
        dest_registry: { id: registry },
        dest_namespace: 'mirror',
        trigger: { type: 'event_based' },
        filters: [{ type: 'name', value: 'src/**' }],
      }),
    );
    const pushed = await pushImage(r.url, 'src/app', 'v1');
    await new Promise((res) => setTimeout(res, 1500)); // several ticks and sweeps
    const runs = await (await api('GET', '/replication/executions?trigger=event_based')).json();
    assert.deepEqual(runs, [], 'no event-based execution while the worker cannot copy');
    assert.equal(complaints().length, 1, 'said once, not at every check');

    // Stopped, the worker leaves health; one that reaches this Berth is healthy and copies what waited.
    await lost.stop();
    assert.equal(
      (await health()).body.components.find((c) => c.name === 'replication_worker'),
      undefined,
    );
    const { lines: good } = await worker(r.url);
    assert.deepEqual(
      good.filter((l) => l.level >= 50),
      [],
    );
    const ok = await health();
    assert.equal(ok.body.status, 'healthy', JSON.stringify(ok.body));
    assert.equal(ok.body.components.find((c) => c.name === 'replication_worker')?.status, 'healthy');
    await eventually('the waiting push to be copied', async () => {
      const res = await v2fetch(`${dest.url}/v2/mirror/app/manifests/v1`, {
        method: 'HEAD',
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      return res.status === 200 && res.headers.get('docker-content-digest') === pushed.digest ? true : undefined;
    });
  });

  it('gives a server that is still starting its grace period: no complaint once it listens', async () => {
    const port = await freePort();
    const { worker: early, lines } = await worker(`http://127.0.0.1:${port}`, 3000);
    // The "server" comes up a second later: a forwarder to the test registry on that port.
    await new Promise((res) => setTimeout(res, 1000));
    const late = await forwarder(port, r.url);
    try {
      await new Promise((res) => setTimeout(res, 3500)); // past the grace, several sweeps
      assert.deepEqual(
        lines.filter((l) => l.level >= 50),
        [],
        'no complaint about a server that came up in time',
      );
      assert.equal(await early.checkLocal(), undefined);
    } finally {
      await early.stop();
      await late.close();
    }
  });

  it('`npm run worker` without PORT or BERTH_REPLICATION_LOCAL_URL says which setting to give', async () => {
    // Nothing of this Berth listens on 5000, the default PORT: the server is on its own port.
    assert.notEqual(new URL(r.url).port, '5000');
    const child = spawn(process.execPath, ['dist/replication/main.js'], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: r.databaseUrl!,
        BERTH_SECRET_KEY: testSecretKey.toString('base64'),
        BERTH_DATA_DIR: r.dir,
        BERTH_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      // After the grace a worker gives a server that is still starting (10 s).
      const line = await eventually('the complaint', async () => out.split('\n').find((l) => /BERTH_REPLICATION_LOCAL_URL/.test(l)), 30_000);
      assert.equal(JSON.parse(line).level, 50, line);
      assert.match(line, /http:\/\/127\.0\.0\.1:5000/);
      await eventually('the worker in health', async () => {
        const c = (await health()).body.components.find((x) => x.name === 'replication_worker');
        return c?.status === 'unhealthy' ? c : undefined;
      });
      assert.equal(child.exitCode, null, 'it keeps running, and recovers once the server is there');
    } finally {
      child.kill('SIGTERM');
      await new Promise((res) => child.once('exit', res));
    }
  });
});
