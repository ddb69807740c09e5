// GET /metrics in Prometheus' text format: requests by route shape and status with
// latency buckets, bytes both ways, open upload sessions, the database pool, replication
// tasks by status, and the process's own figures.
import assert from 'node:assert/strict';
import { createProject } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { pushImage, v2fetch } from '../helpers/v2client.js';

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : NaN;
}

describe(`metrics`, function () {
  this.timeout(30_000);
  let r: TestRegistry;
  before(async () => {
    r = await startTestRegistry();
    await createProject(r.url, 'm');
  });
  after(async () => r?.close());

  it('counts requests by route shape and status, with latency and bytes', async () => {
    const scrape = async () => (await fetch(`${r.url}/metrics`)).text();
    const before = await scrape();
    const put = 'berth_http_requests_total{method="PUT",route="/v2/:name/manifests/:reference",status="201"}';
    const start = value(before, put) || 0;
    await pushImage(r.url, 'm/app', 'v1');
    await pushImage(r.url, 'm/app', 'v2');
    await v2fetch(`${r.url}/v2/m/app/manifests/nope`);
    const text = await scrape();
    assert.match((await fetch(`${r.url}/metrics`)).headers.get('content-type') ?? '', /text\/plain/);
    assert.equal(value(text, put), start + 2);
    assert.ok(value(text, 'berth_http_requests_total{method="GET",route="/v2/:name/manifests/:reference",status="404"}') >= 1);
    assert.ok(value(text, 'berth_http_requests_total{method="POST",route="/api/v2.0/projects",status="201"}') >= 1, 'API routes by their pattern');
    assert.ok(!/m\/app/.test(text), 'no repository name becomes a label');
    assert.ok(value(text, 'berth_http_request_duration_seconds_count{method="PUT",route="/v2/:name/manifests/:reference"}') >= 2);
    assert.ok(value(text, 'berth_http_bytes_total{direction="in"}') > 2048, 'two layers of 1 KiB came in');
    assert.ok(value(text, 'berth_http_bytes_total{direction="out"}') > 0);
  });

  it('reports upload sessions, the pool, replication tasks and the process', async () => {
    const before = value(await (await fetch(`${r.url}/metrics`)).text(), 'berth_upload_sessions');
    const res = await v2fetch(`${r.url}/v2/m/open/blobs/uploads/`, { method: 'POST' });
    assert.equal(res.status, 202);
    const text = await (await fetch(`${r.url}/metrics`)).text();
    assert.equal(value(text, 'berth_upload_sessions'), before + 1);
    assert.ok(value(text, 'berth_db_pool_connections{state="total"}') >= 1);
    assert.match(text, /# TYPE berth_replication_tasks gauge/);
    assert.ok(value(text, 'berth_process_resident_memory_bytes') > 0);
  });
});
