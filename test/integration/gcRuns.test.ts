// Garbage collection through Harbor's API (/api/v2.0/system/gc…) with a real runner: runs
// started, dry and real, with their history, logs, audit rows and metrics; the schedule;
// stopping; a dead server's run taken over; and what is refused.
import assert from 'node:assert/strict';
import { createLogger } from '../../server/log/logger.js';
import { GcRunner } from '../../server/gc/runner.js';
import { parseDigest } from '../../server/lib/references.js';
import { blobKey } from '../../server/storage/keys.js';
import { admin, basic, createProject, createUser } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { pushImage, v2fetch } from '../helpers/v2client.js';

const auth = { Authorization: basic(admin), 'Content-Type': 'application/json' };

describe('garbage collection API', function () {
  this.timeout(60_000);
  let r: TestRegistry;
  let runner: GcRunner;
  before(async () => {
    r = await startTestRegistry();
    await createProject(r.url, 'gcapi');
    runner = new GcRunner({ db: r.db, store: r.store, log: createLogger('silent') }, { reviewDelayMs: 0, leaseSeconds: 3, pollMs: 60_000 });
  });
  after(async () => {
    await runner?.stop();
    await r?.close();
  });

  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = auth) =>
    fetch(`${r.url}/api/v2.0${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const run = async (parameters: Record<string, unknown>) => {
    const res = await api('POST', '/system/gc/schedule', { schedule: { type: 'Manual' }, parameters });
    assert.equal(res.status, 201, await res.clone().text());
    return Number(res.headers.get('location')!.match(/\/system\/gc\/(\d+)$/)![1]);
  };
  const get = async (id: number) => (await (await api('GET', `/system/gc/${id}`)).json()) as Record<string, unknown>;
  const stored = async (digest: string) => (await r.store.stat(blobKey(parseDigest(digest)!))) !== undefined;

  it('runs a dry run and then a real one, each with its counts, log, audit row and metrics', async () => {
    const img = await pushImage(r.url, 'gcapi/app', 'v1');
    const blobs = (JSON.parse(img.body.toString()) as { config: { digest: string }; layers: Array<{ digest: string }> }).layers
      .map((l) => l.digest)
      .concat(JSON.parse(img.body.toString()).config.digest);
    assert.equal((await v2fetch(`${r.url}/v2/gcapi/app/manifests/${img.digest}`, { method: 'DELETE' })).status, 202);

    const dry = await run({ dry_run: true, delete_untagged: true, workers: 2 });
    assert.equal((await get(dry)).job_status, 'Pending');
    await runner.tick();
    const dryView = await get(dry);
    assert.equal(dryView.job_status, 'Success');
    assert.equal(dryView.job_kind, 'MANUAL');
    assert.deepEqual(JSON.parse(dryView.job_parameters as string), { delete_untagged: true, dry_run: true, workers: 2 });
    assert.equal(dryView.blobs_deleted, 2);
    assert.ok((dryView.freed_bytes as number) > 0);
    for (const d of blobs) assert.equal(await stored(d), true, 'a dry run deletes nothing');
    const dryLog = await (await api('GET', `/system/gc/${dry}/log`)).text();
    assert.match(dryLog, /would delete blob sha256:/);

    const real = await run({ delete_untagged: true });
    await runner.tick();
    const view = await get(real);
    assert.equal(view.job_status, 'Success');
    assert.equal(view.blobs_deleted, 2);
    assert.equal(view.freed_bytes, dryView.freed_bytes, 'the dry run said how many bytes');
    for (const d of blobs) assert.equal(await stored(d), false);
    const log = await (await api('GET', `/system/gc/${real}/log`)).text();
    assert.match(log, /deleted blob sha256:/);
    assert.match(log, /success: .* 2 blob\(s\) deleted/);

    const history = await api('GET', '/system/gc?page=1&page_size=10');
    assert.equal(history.headers.get('x-total-count'), '2');
    assert.deepEqual(
      ((await history.json()) as Array<{ id: number }>).map((h) => h.id),
      [real, dry],
      'newest first',
    );

    await r.flushAudit();
    const audit = (await (await api('GET', '/audit-logs?q=resource_type=gc_execution&page_size=50')).json()) as Array<{
      operation: string;
      username: string;
      resource: string;
    }>;
    assert.ok(audit.some((a) => a.operation === 'create' && a.username === 'admin' && a.resource.startsWith(`run ${real} `)));
    assert.ok(
      audit.some(
        (a) => a.operation === 'delete' && a.username === 'gc' && a.resource === `run ${real}: 0 manifests, 2 links, 2 blobs, ${view.freed_bytes} bytes`,
      ),
    );
    assert.ok(!audit.some((a) => a.operation === 'delete' && a.resource.startsWith(`run ${dry}:`)), 'a dry run deletes nothing to audit');

    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`^berth_gc_freed_bytes ${view.freed_bytes}$`, 'm'));
    assert.match(metrics, /^berth_gc_deleted\{kind="blob"\} 2$/m);
    assert.match(metrics, /^berth_gc_runs\{status="Success"\} 2$/m);
    assert.match(metrics, /^berth_gc_reviews\{queue="blob"\} \d+$/m);
  });

  it('stops a run that has not started, and refuses to stop one that has ended', async () => {
    const id = await run({});
    assert.equal((await api('PUT', `/system/gc/${id}`)).status, 200);
    assert.equal((await get(id)).job_status, 'Stopped');
    await runner.tick();
    assert.equal((await get(id)).job_status, 'Stopped', 'the runner does not take a stopped run');
    const again = await api('PUT', `/system/gc/${id}`);
    assert.equal(again.status, 412);
    assert.equal(((await again.json()) as { errors: Array<{ code: string }> }).errors[0].code, 'PRECONDITION_FAILED');
  });

  it('takes over a run whose server stopped renewing its lease', async () => {
    const id = await run({});
    await r.db.query(`UPDATE gc_executions SET status = 'Running', worker = 'gone:1', lease_until = now() - interval '1 second' WHERE id = $1`, [id]);
    await runner.tick();
    const view = await get(id);
    assert.equal(view.job_status, 'Success');
  });

  it('keeps a schedule, fires it, and cancels it', async () => {
    const initial = (await (await api('GET', '/system/gc/schedule')).json()) as { schedule: { type: string; next_scheduled_time: string | null } };
    assert.equal(initial.schedule.type, 'None');
    assert.equal(initial.schedule.next_scheduled_time, null);
    const set = await api('PUT', '/system/gc/schedule', {
      schedule: { type: 'Custom', cron: '* * * * * *' },
      parameters: { delete_untagged: true, workers: 3 },
    });
    assert.equal(set.status, 200, await set.clone().text());
    const s = (await (await api('GET', '/system/gc/schedule')).json()) as {
      schedule: { type: string; cron: string; next_scheduled_time: string };
      parameters: { delete_untagged: boolean; workers: number };
    };
    assert.deepEqual([s.schedule.type, s.schedule.cron, s.parameters.delete_untagged, s.parameters.workers], ['Custom', '* * * * * *', true, 3]);
    assert.ok(Date.parse(s.schedule.next_scheduled_time) - Date.now() <= 1000);
    const before = Number((await api('GET', '/system/gc?page_size=1')).headers.get('x-total-count'));
    await runner.tick();
    await new Promise((res) => setTimeout(res, 1100));
    await runner.tick();
    const [latest] = (await (await api('GET', '/system/gc?page_size=1')).json()) as Array<Record<string, unknown>>;
    assert.equal(Number((await api('GET', '/system/gc?page_size=1')).headers.get('x-total-count')), before + 1);
    assert.equal(latest.job_kind, 'SCHEDULE');
    assert.equal(latest.job_status, 'Success');
    assert.deepEqual(JSON.parse(latest.job_parameters as string), { delete_untagged: true, dry_run: false, workers: 3 });
    // Harbor's fixed schedules name their own cron.
    assert.equal((await api('PUT', '/system/gc/schedule', { schedule: { type: 'Daily' } })).status, 200);
    assert.equal(((await (await api('GET', '/system/gc/schedule')).json()) as { schedule: { cron: string } }).schedule.cron, '0 0 0 * * *');
    assert.equal((await api('PUT', '/system/gc/schedule', { schedule: { type: 'None' } })).status, 200);
    await new Promise((res) => setTimeout(res, 1100));
    await runner.tick();
    assert.equal(Number((await api('GET', '/system/gc?page_size=1')).headers.get('x-total-count')), before + 1, 'None fires nothing');
  });

  it('refuses bad input with a clear error, and anyone but a system administrator', async () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ schedule: { type: 'Sometimes' } }, /schedule\.type must be one of/],
      [{ schedule: { type: 'Manual' }, parameters: { workers: 9 } }, /workers must be an integer from 1 to 5/],
      [{ schedule: { type: 'Manual' }, parameters: { dry_run: 'yes' } }, /dry_run must be true or false/],
      [{ schedule: { type: 'Custom', cron: 'every day' } }, /cron expression of 5 or 6 fields/],
      [{ schedule: { type: 'Custom', cron: '0 0 99 * * *' } }, /not a valid cron expression/],
    ];
    for (const [body, message] of bad) {
      const res = await api('POST', '/system/gc/schedule', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(((await res.json()) as { errors: Array<{ message: string }> }).errors[0].message, message);
    }
    assert.equal((await api('PUT', '/system/gc/schedule', { schedule: { type: 'Manual' } })).status, 400);
    assert.equal((await api('GET', '/system/gc/abc')).status, 400);
    assert.equal((await api('GET', '/system/gc/999999')).status, 404);
    await createUser(r.url, 'gcuser', 'Gc-User-Passw0rd');
    const user = { Authorization: basic({ username: 'gcuser', password: 'Gc-User-Passw0rd' }), 'Content-Type': 'application/json' };
    assert.equal((await api('GET', '/system/gc', undefined, user)).status, 403);
    assert.equal((await api('POST', '/system/gc/schedule', { schedule: { type: 'Manual' } }, user)).status, 403);
    assert.equal((await api('GET', '/system/gc')).status, 200);
    assert.equal((await fetch(`${r.url}/api/v2.0/system/gc`)).status, 401);
  });
});
