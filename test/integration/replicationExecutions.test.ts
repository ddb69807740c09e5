// Replication executions end to end between two in-process Berths, each with its own
// database and token auth, and a worker in A's process: manual push and pull rules with
// filters and flattening, event-based pushes and deletions, a scheduled rule firing, a
// destination that is down and comes back, stopping, a dead worker's task taken over,
// and the API's refusals.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ReplicationWorker } from '../../replication/worker.js';
import { claimTask } from '../../server/db/replicationTasks.js';
import { admin, basic, createProject, createUser } from '../helpers/api.js';
import { freePort } from '../helpers/berthProcess.js';
import { forwarder } from '../helpers/forwarder.js';
import { startTestRegistry, startTestWorker, type TestRegistry } from '../helpers/inProcess.js';
import { asBody, pushBlob, pushImage, sha256, v2fetch } from '../helpers/v2client.js';

async function pushImageWithLayer(base: string, repo: string, tag: string, size: number): Promise<void> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, n: Math.random() }));
  const layer = randomBytes(size);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await pushBlob(base, repo, config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: await pushBlob(base, repo, layer), size }],
  };
  const res = await v2fetch(`${base}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    body: asBody(Buffer.from(JSON.stringify(manifest))),
    headers: { 'Content-Type': manifest.mediaType },
  });
  assert.equal(res.status, 201);
}

const json = (user = admin) => ({ Authorization: basic(user), 'Content-Type': 'application/json' });

describe(`replication executions`, function () {
  this.timeout(120_000);
  let a: TestRegistry;
  let b: TestRegistry;
  let worker: ReplicationWorker;
  let toB: number;
  const api = (r: TestRegistry, method: string, path: string, body?: unknown, user = admin) =>
    fetch(`${r.url}/api/v2.0${path}`, { method, headers: json(user), body: body === undefined ? undefined : JSON.stringify(body) });
  const created = async (res: Response) => {
    assert.equal(res.status, 201, await res.clone().text());
    return Number(res.headers.get('Location')!.split('/').pop());
  };
  const rule = (body: Record<string, unknown>) => api(a, 'POST', '/replication/policies', body).then(created);
  const run = (policyId: number) => api(a, 'POST', '/replication/executions', { policy_id: policyId }).then(created);
  const execution = async (id: number) => (await api(a, 'GET', `/replication/executions/${id}`)).json();
  const finished = async (id: number, timeoutMs = 30_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const e = await execution(id);
      if (e.status !== 'InProgress') return e;
      if (Date.now() > until) throw new Error(`execution ${id} still running: ${JSON.stringify(e)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const tasks = async (id: number) => (await api(a, 'GET', `/replication/executions/${id}/tasks?page_size=100`)).json();
  const digestOn = async (r: TestRegistry, repo: string, ref: string) => {
    const res = await v2fetch(`${r.url}/v2/${repo}/manifests/${ref}`, { method: 'HEAD', headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    return res.status === 200 ? res.headers.get('docker-content-digest') : undefined;
  };
  const eventually = async (what: string, check: () => Promise<boolean>, timeoutMs = 15_000) => {
    const until = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  before(async () => {
    [a, b] = await Promise.all([startTestRegistry(), startTestRegistry()]);
    worker = await startTestWorker(a);
    await createProject(a.url, 'src');
    await createProject(b.url, 'mirror');
    toB = await created(
      await api(a, 'POST', '/registries', { name: 'b', type: 'berth', url: b.url, credential: { access_key: admin.username, access_secret: admin.password } }),
    );
  });
  after(async () => {
    await worker?.stop();
    await Promise.all([a?.close(), b?.close()]);
  });

  it('runs a manual push rule: only what the filters select, under the flattened name, byte for byte', async () => {
    const app1 = await pushImage(a.url, 'src/team/app', '1.0');
    await pushImage(a.url, 'src/team/app', 'dev');
    await pushImage(a.url, 'src/other', '1.0');
    const id = await rule({
      name: 'push-app',
      dest_registry: { id: toB },
      dest_namespace: 'mirror',
      dest_namespace_replace_count: 1,
      filters: [
        { type: 'name', value: 'src/team/**' },
        { type: 'tag', value: '[0-9]*' },
      ],
    });
    const e = await finished(await run(id));
    assert.equal(e.status, 'Succeed', JSON.stringify(e));
    assert.equal(e.trigger, 'manual');
    assert.deepEqual([e.total, e.succeed, e.failed], [1, 1, 0]);
    assert.equal(await digestOn(b, 'mirror/team/app', '1.0'), app1.digest);
    assert.equal(await digestOn(b, 'mirror/team/app', 'dev'), undefined);
    assert.equal(await digestOn(b, 'mirror/other', '1.0'), undefined);
    const [task] = await tasks(e.id);
    assert.equal(task.src_resource, 'src/team/app:[1.0]');
    assert.equal(task.dst_resource, 'mirror/team/app:[1.0]');
    assert.equal(task.status, 'Succeed');
    assert.equal(task.digest, app1.digest);
    assert.ok(task.bytes > 1024, `bytes ${task.bytes}`);
    const log = await (await api(a, 'GET', `/replication/executions/${e.id}/tasks/${task.id}/log`)).text();
    assert.match(log, /tagged mirror\/team\/app:1\.0 -> sha256:/);
    // A second run finds everything there: nothing is copied again.
    const again = await finished(await run(id));
    assert.equal(again.status, 'Succeed');
    const [t2] = await tasks(again.id);
    assert.equal(t2.bytes, 0);
  });

  it('keeps a destination tag that names something else when the rule does not override', async () => {
    await pushImage(a.url, 'src/keep', 'v1');
    const theirs = await pushImage(b.url, 'mirror/keep', 'v1');
    const id = await rule({
      name: 'no-override',
      dest_registry: { id: toB },
      dest_namespace: 'mirror',
      filters: [{ type: 'name', value: 'src/keep' }],
      override: false,
    });
    const e = await finished(await run(id));
    assert.equal(e.status, 'Succeed');
    assert.equal(await digestOn(b, 'mirror/keep', 'v1'), theirs.digest);
  });

  it('replicates a push to A on B within seconds (event-based), and the deletion of a tag', async () => {
    await rule({
      name: 'events',
      dest_registry: { id: toB },
      dest_namespace: 'mirror',
      trigger: { type: 'event_based' },
      filters: [{ type: 'name', value: 'src/live' }],
      replicate_deletion: true,
    });
    const started = Date.now();
    const img = await pushImage(a.url, 'src/live', 'v1');
    await eventually('the push on B', async () => (await digestOn(b, 'mirror/live', 'v1')) === img.digest);
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 10, `took ${seconds} s`);
    const list = await (await api(a, 'GET', '/replication/executions?trigger=event_based')).json();
    assert.ok(list.some((x: { status: string }) => x.status === 'Succeed'));
    const del = await v2fetch(`${a.url}/v2/src/live/manifests/v1`, { method: 'DELETE' });
    assert.equal(del.status, 202);
    await eventually('the deletion on B', async () => (await digestOn(b, 'mirror/live', 'v1')) === undefined);
    // Pushes outside the rule's filter stay where they are.
    await pushImage(a.url, 'src/elsewhere', 'v1');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await digestOn(b, 'mirror/elsewhere', 'v1'), undefined);
  });

  it('runs a pull rule: B -> A, creating the project it lands in', async () => {
    const img = await pushImage(b.url, 'mirror/upstream/tool', '2.1');
    await pushImage(b.url, 'mirror/upstream/tool', 'nightly');
    const id = await rule({
      name: 'pull-tool',
      src_registry: { id: toB },
      dest_namespace: 'pulled',
      dest_namespace_replace_count: 2,
      filters: [
        { type: 'name', value: 'mirror/upstream/*' },
        { type: 'tag', value: 'nightly', decoration: 'excludes' },
      ],
    });
    const e = await finished(await run(id));
    assert.equal(e.status, 'Succeed', JSON.stringify(e));
    assert.equal(e.total, 1);
    assert.equal(await digestOn(a, 'pulled/tool', '2.1'), img.digest);
    assert.equal(await digestOn(a, 'pulled/tool', 'nightly'), undefined);
    const project = await api(a, 'GET', '/projects/pulled');
    assert.equal(project.status, 200);
  });

  it('fires a scheduled rule on its cron', async () => {
    await pushImage(a.url, 'src/cron', 'c1');
    const id = await rule({
      name: 'every-second',
      dest_registry: { id: toB },
      dest_namespace: 'mirror',
      trigger: { type: 'scheduled', trigger_settings: { cron: '* * * * * *' } },
      filters: [{ type: 'name', value: 'src/cron' }],
    });
    await eventually('a scheduled execution', async () => {
      const list = await (await api(a, 'GET', `/replication/executions?policy_id=${id}&trigger=scheduled`)).json();
      return list.some((x: { status: string }) => x.status === 'Succeed');
    });
    assert.ok(await digestOn(b, 'mirror/cron', 'c1'));
    assert.equal((await api(a, 'PUT', `/replication/policies/${id}`, { enabled: false })).status, 200);
  });

  it('retries while the destination is down and succeeds once it is up', async () => {
    const port = await freePort();
    const later = await created(
      await api(a, 'POST', '/registries', {
        name: 'b-later',
        type: 'berth',
        url: `http://127.0.0.1:${port}`,
        credential: { access_key: admin.username, access_secret: admin.password },
      }),
    );
    const img = await pushImage(a.url, 'src/late', 'v1');
    const id = await rule({ name: 'to-late', dest_registry: { id: later }, dest_namespace: 'mirror', filters: [{ type: 'name', value: 'src/late' }] });
    const exec = await run(id);
    await eventually('a failed first attempt', async () => {
      const [t] = await tasks(exec);
      return !!t && t.attempts >= 1 && t.status === 'Pending';
    });
    // The token realm B advertises is B's own address; the forwarder only carries /v2.
    const up = await forwarder(port, b.url);
    try {
      const e = await finished(exec);
      assert.equal(e.status, 'Succeed', JSON.stringify(e));
      const [t] = await tasks(exec);
      assert.ok(t.attempts >= 2, `attempts ${t.attempts}`);
      assert.equal(await digestOn(b, 'mirror/late', 'v1'), img.digest);
    } finally {
      await up.close();
    }
  });

  it('fails a task whose attempts run out, with the reason', async () => {
    const port = await freePort();
    const nowhere = await created(await api(a, 'POST', '/registries', { name: 'nowhere', type: 'oci', url: `http://127.0.0.1:${port}` }));
    await pushImage(a.url, 'src/lost', 'v1');
    const id = await rule({ name: 'to-nowhere', dest_registry: { id: nowhere }, filters: [{ type: 'name', value: 'src/lost' }] });
    const e = await finished(await run(id), 60_000);
    assert.equal(e.status, 'Failed');
    assert.match(e.status_text, /1 of 1 task/);
    const [t] = await tasks(e.id);
    assert.equal(t.status, 'Failed');
    assert.equal(t.attempts, t.max_attempts);
    assert.match(t.status_text, /ECONNREFUSED|gave up/);
  });

  it('stops an execution: its tasks stop and it says Stopped', async () => {
    // A bandwidth limit of 1 KB/s keeps the copy of a 64 KiB layer busy long enough to stop it.
    await pushImageWithLayer(a.url, 'src/slow', 'v1', 64 * 1024);
    await pushImageWithLayer(a.url, 'src/slow', 'v2', 64 * 1024);
    const id = await rule({ name: 'slow', dest_registry: { id: toB }, dest_namespace: 'mirror', filters: [{ type: 'name', value: 'src/slow' }], speed: 1 });
    const exec = await run(id);
    await eventually('a running task', async () => (await tasks(exec)).some((t: { status: string }) => t.status === 'InProgress'));
    assert.equal((await api(a, 'PUT', `/replication/executions/${exec}`)).status, 200);
    const e = await execution(exec);
    assert.equal(e.status, 'Stopped');
    assert.ok((await tasks(exec)).every((t: { status: string }) => t.status === 'Stopped'));
    assert.equal((await api(a, 'PUT', `/replication/executions/${exec}`)).status, 200, 'stopping a finished execution again is not an error (Harbor: 200)');
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(
      (await tasks(exec)).every((t: { status: string }) => t.status === 'Stopped'),
      'a stopped task stays stopped',
    );
  });

  it('copies the signatures and SBOMs that refer to an artifact along with it', async () => {
    const img = await pushImage(a.url, 'src/signed', 'v1');
    const empty = Buffer.from('{}');
    const sig = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.dev.cosign.simplesigning.v1+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: await pushBlob(a.url, 'src/signed', empty), size: 2 },
      layers: [
        { mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: await pushBlob(a.url, 'src/signed', Buffer.from('signature')), size: 9 },
      ],
      subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: img.digest, size: img.body.length },
    };
    const body = Buffer.from(JSON.stringify(sig));
    const put = await v2fetch(`${a.url}/v2/src/signed/manifests/${sha256(body)}`, {
      method: 'PUT',
      body: asBody(body),
      headers: { 'Content-Type': sig.mediaType },
    });
    assert.equal(put.status, 201);
    const id = await rule({ name: 'signed', dest_registry: { id: toB }, dest_namespace: 'mirror', filters: [{ type: 'name', value: 'src/signed' }] });
    const e = await finished(await run(id));
    assert.equal(e.status, 'Succeed');
    assert.equal(e.total, 1, 'the signature travels with its subject, not as a task of its own');
    const referrers = await (await v2fetch(`${b.url}/v2/mirror/signed/referrers/${img.digest}`)).json();
    assert.deepEqual(
      referrers.manifests.map((m: { digest: string }) => m.digest),
      [sha256(body)],
    );
  });

  it('retries an event-based task until the destination comes back', async () => {
    const port = await freePort();
    const later = await created(
      await api(a, 'POST', '/registries', {
        name: 'b-events-later',
        type: 'berth',
        url: `http://127.0.0.1:${port}`,
        credential: { access_key: admin.username, access_secret: admin.password },
      }),
    );
    await rule({
      name: 'events-later',
      dest_registry: { id: later },
      dest_namespace: 'mirror',
      trigger: { type: 'event_based' },
      filters: [{ type: 'name', value: 'src/offline' }],
    });
    const img = await pushImage(a.url, 'src/offline', 'v1');
    let exec = 0;
    await eventually('a failed attempt of the event task', async () => {
      const list = await (await api(a, 'GET', '/replication/executions?trigger=event_based&status=InProgress')).json();
      for (const x of list) {
        const [t] = await tasks(x.id);
        if (t?.src_resource === 'src/offline:[v1]' && t.attempts >= 1 && t.status === 'Pending') exec = x.id;
      }
      return exec > 0;
    });
    const [pending] = await tasks(exec);
    assert.equal(pending.max_attempts, 10, 'event-based tasks get more attempts than manual ones');
    const up = await forwarder(port, b.url);
    try {
      const e = await finished(exec);
      assert.equal(e.status, 'Succeed', JSON.stringify(e));
      assert.equal(await digestOn(b, 'mirror/offline', 'v1'), img.digest);
    } finally {
      await up.close();
    }
  });

  it('lets exactly one of many workers claim a task', async () => {
    await pushImage(a.url, 'src/race', 'v1');
    const id = await rule({ name: 'race', dest_registry: { id: toB }, dest_namespace: 'mirror', filters: [{ type: 'name', value: 'src/race' }] });
    await worker.stop();
    const exec = await run(id);
    const planner = await startTestWorker(a, { concurrency: 0 });
    await eventually('the plan', async () => (await tasks(exec)).length === 1);
    await planner.stop();
    const [t] = await tasks(exec);
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => claimTask(a.db, t.id, `racer-${i}`, 30)));
    assert.equal(claims.filter(Boolean).length, 1);
    const [after] = await tasks(exec);
    assert.equal(after.attempts, 1);
    worker = await startTestWorker(a);
    assert.equal((await api(a, 'PUT', `/replication/executions/${exec}`)).status, 200);
  });

  it('takes over a task whose worker died (its lease ran out)', async () => {
    const img = await pushImage(a.url, 'src/orphan', 'v1');
    const id = await rule({ name: 'orphan', dest_registry: { id: toB }, dest_namespace: 'mirror', filters: [{ type: 'name', value: 'src/orphan' }] });
    // Pause the planning until a dead worker holds the task: claim it first as "ghost".
    await worker.stop();
    const exec = await run(id);
    const w2 = await startTestWorker(a, { concurrency: 0 });
    await eventually('the plan', async () => (await tasks(exec)).length === 1);
    await w2.stop();
    const [t] = await tasks(exec);
    assert.ok(await claimTask(a.db, t.id, 'ghost', 1));
    worker = await startTestWorker(a);
    const e = await finished(exec);
    assert.equal(e.status, 'Succeed');
    const [done] = await tasks(exec);
    assert.equal(done.attempts, 2);
    const log = await (await api(a, 'GET', `/replication/executions/${exec}/tasks/${t.id}/log`)).text();
    assert.match(log, /worker ghost/);
    assert.equal(await digestOn(b, 'mirror/orphan', 'v1'), img.digest);
  });

  it('refuses what makes no sense, and non-administrators', async () => {
    await createUser(a.url, 'plain', 'Passw0rd-Test');
    const plain = { username: 'plain', password: 'Passw0rd-Test' };
    assert.equal((await api(a, 'POST', '/replication/executions', { policy_id: 'x' })).status, 400);
    assert.equal((await api(a, 'POST', '/replication/executions', { policy_id: 999999 })).status, 404);
    assert.equal((await api(a, 'GET', '/replication/executions', undefined, plain)).status, 403);
    assert.equal((await api(a, 'GET', '/replication/executions?status=Bogus')).status, 400);
    assert.equal((await api(a, 'GET', '/replication/executions/999999')).status, 404);
    assert.equal((await api(a, 'GET', '/replication/executions/999999/tasks')).status, 404);
    assert.equal((await api(a, 'GET', '/replication/executions/1/tasks/999999/log')).status, 404);
    const off = await rule({ name: 'off', dest_registry: { id: toB }, enabled: false });
    const res = await api(a, 'POST', '/replication/executions', { policy_id: off });
    assert.equal(res.status, 400);
    assert.match((await res.json()).errors[0].message, /disabled/);
  });
});
