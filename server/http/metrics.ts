// Prometheus metrics (prom-client) at GET /metrics: requests by route and status with
// latency histograms, bytes in and out, open upload sessions, database pool use,
// replication tasks by status, and garbage collection's queues and totals. With several
// worker processes, the primary aggregates every worker's metrics (prom-client's
// AggregatorRegistry over cluster IPC), so a scrape sees the whole server whichever worker
// answers it.
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import client from 'prom-client';
import type { Database } from '../db/database.js';
import { queueDepths } from '../db/gc.js';
import { gcTotals } from '../db/gcExecutions.js';
import { openUploadCount, replicationTaskCounts } from '../db/metrics.js';

const registry = client.register;
let sources: { db?: Database } = {};
let made:
  | { requests: client.Counter<'method' | 'route' | 'status'>; duration: client.Histogram<'method' | 'route'>; bytes: client.Counter<'direction'> }
  | undefined;

/** The process's metrics, made once (prom-client's registry is process-wide). */
function ensureMetrics() {
  if (made) return made;
  if (cluster.isWorker) answerPrimary();
  client.collectDefaultMetrics({ register: registry, prefix: 'berth_' });
  new client.Gauge({
    name: 'berth_upload_sessions',
    help: 'Upload sessions open (not finished, cancelled or purged)',
    aggregator: 'first',
    async collect() {
      if (sources.db) this.set(await openUploadCount(sources.db));
    },
  });
  new client.Gauge({
    name: 'berth_db_pool_connections',
    help: 'Database connections of this server, by state',
    labelNames: ['state'],
    collect() {
      const use = sources.db?.poolUse();
      if (!use) return;
      this.set({ state: 'used' }, use.used);
      this.set({ state: 'total' }, use.total);
    },
  });
  new client.Gauge({
    name: 'berth_replication_tasks',
    help: 'Replication tasks by status (Pending and InProgress are the queue)',
    labelNames: ['status'],
    aggregator: 'first',
    async collect() {
      if (!sources.db) return;
      this.reset();
      for (const [status, n] of Object.entries(await replicationTaskCounts(sources.db))) this.set({ status }, n);
    },
  });
  new client.Gauge({
    name: 'berth_gc_reviews',
    help: 'Garbage collection reviews queued, by queue (manifest, link, blob); a run takes those older than BERTH_GC_REVIEW_DELAY',
    labelNames: ['queue'],
    aggregator: 'first',
    async collect() {
      if (!sources.db) return;
      for (const [queue, d] of Object.entries(await queueDepths(sources.db, new Date()))) this.set({ queue }, d.queued);
    },
  });
  // Kept in the runs' rows, so every server reports the same totals, progress included.
  let totals: Promise<Awaited<ReturnType<typeof gcTotals>>> | undefined;
  const gcTotalsOnce = () => {
    if (!sources.db) return undefined;
    totals ??= gcTotals(sources.db).finally(() => setTimeout(() => (totals = undefined), 100));
    return totals;
  };
  new client.Gauge({
    name: 'berth_gc_deleted',
    help: 'What garbage collection runs have deleted (dry runs excluded), by kind: manifest, link, blob',
    labelNames: ['kind'],
    aggregator: 'first',
    async collect() {
      const t = await gcTotalsOnce();
      if (!t) return;
      this.set({ kind: 'manifest' }, t.manifests);
      this.set({ kind: 'link' }, t.links);
      this.set({ kind: 'blob' }, t.blobs);
    },
  });
  new client.Gauge({
    name: 'berth_gc_freed_bytes',
    help: 'Bytes of blobs garbage collection has deleted from the store (dry runs excluded)',
    aggregator: 'first',
    async collect() {
      const t = await gcTotalsOnce();
      if (t) this.set(t.freedBytes);
    },
  });
  new client.Gauge({
    name: 'berth_gc_runs',
    help: 'Garbage collection runs by status',
    labelNames: ['status'],
    aggregator: 'first',
    async collect() {
      const t = await gcTotalsOnce();
      if (!t) return;
      for (const [status, n] of Object.entries(t.runs)) this.set({ status }, n);
    },
  });
  made = {
    requests: new client.Counter({
      name: 'berth_http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'],
    }),
    duration: new client.Histogram({
      name: 'berth_http_request_duration_seconds',
      help: 'Time to the last byte of the response, by method and route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    }),
    bytes: new client.Counter({ name: 'berth_http_bytes_total', help: 'Bytes received and sent over HTTP (bodies and headers)', labelNames: ['direction'] }),
  };
  return made;
}

// /v2 paths by shape: repository names and digests would make a label per artifact.
const v2Routes: Array<[RegExp, string]> = [
  [/^\/v2\/?$/, '/v2/'],
  [/^\/v2\/_catalog$/, '/v2/_catalog'],
  [/\/manifests\/[^/]+$/, '/v2/:name/manifests/:reference'],
  [/\/blobs\/uploads\/?$/, '/v2/:name/blobs/uploads/'],
  [/\/blobs\/uploads\/[^/]+$/, '/v2/:name/blobs/uploads/:uuid'],
  [/\/blobs\/[^/]+$/, '/v2/:name/blobs/:digest'],
  [/\/tags\/list$/, '/v2/:name/tags/list'],
  [/\/referrers\/[^/]+$/, '/v2/:name/referrers/:digest'],
];

function routeOf(ctx: Koa.Context): string {
  const matched = (ctx as Koa.Context & { _matchedRoute?: string })._matchedRoute;
  if (typeof matched === 'string') return matched;
  const p = ctx.path;
  if (p === '/v2' || p.startsWith('/v2/')) return v2Routes.find(([re]) => re.test(p))?.[1] ?? '/v2/other';
  if (p === '/service/token' || p === '/metrics' || p.startsWith('/c/')) return p;
  if (p.startsWith('/api/')) return '/api/other';
  return 'console';
}

const counted = new WeakMap<object, { read: number; written: number }>();

/** Counts every request; first in the chain, so it sees the final status. */
export function metricsMiddleware(db: Database): Koa.Middleware {
  const { requests: r, duration: d, bytes: b } = ensureMetrics();
  sources = { db };
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    const socket = ctx.req.socket;
    ctx.res.once('finish', () => {
      const route = routeOf(ctx);
      r.inc({ method: ctx.method, route, status: String(ctx.status) });
      d.observe({ method: ctx.method, route }, Number(process.hrtime.bigint() - started) / 1e9);
      // What the connection carried since its last counted request: every byte once,
      // headers included, however early Node read the body.
      const seen = counted.get(socket) ?? { read: 0, written: 0 };
      b.inc({ direction: 'in' }, Math.max(0, socket.bytesRead - seen.read));
      b.inc({ direction: 'out' }, Math.max(0, socket.bytesWritten - seen.written));
      counted.set(socket, { read: socket.bytesRead, written: socket.bytesWritten });
    });
    if (ctx.path === '/metrics' && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      ctx.type = registry.contentType;
      ctx.body = cluster.isWorker ? await askPrimary() : await registry.metrics();
      return;
    }
    await next();
  };
}

// A worker asks the primary, which gathers every worker's metrics.
const metricsRequest = 'berth:metrics';
const metricsResponse = 'berth:metrics:res';
const collectRequest = 'berth:metrics:collect';
const collectResponse = 'berth:metrics:part';

function askPrimary(): Promise<string> {
  const id = randomUUID();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the primary process did not answer for the metrics'));
    }, 10_000);
    const onMessage = (m: { type?: string; id?: string; text?: string; error?: string }) => {
      if (m?.type !== metricsResponse || m.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (m.error) reject(new Error(m.error));
      else resolve(m.text ?? '');
    };
    process.on('message', onMessage);
    process.send!({ type: metricsRequest, id });
  });
}

/** In a worker: hands its own metrics to the primary when asked. */
function answerPrimary(): void {
  process.on('message', (m: { type?: string; id?: string }) => {
    if (m?.type !== collectRequest) return;
    registry.getMetricsAsJSON().then(
      (metrics) => process.send!({ type: collectResponse, id: m.id, metrics }),
      () => process.send!({ type: collectResponse, id: m.id, metrics: [] }),
    );
  });
}

/**
 * In the primary of a cluster: answers a worker's request with the sum over the workers
 * that are serving. A worker still starting, or one that does not answer within 2 s, is
 * left out of that scrape rather than failing it.
 */
export function serveClusterMetrics(): void {
  const serving = new Set<number>();
  cluster.on('listening', (w) => serving.add(w.id));
  cluster.on('exit', (w) => serving.delete(w.id));
  const pending = new Map<string, { parts: client.MetricObjectWithValues<client.MetricValue<string>>[][]; waiting: number; finish: () => void }>();
  cluster.on('message', (worker, m: { type?: string; id?: string; metrics?: client.MetricObjectWithValues<client.MetricValue<string>>[] }) => {
    if (m?.type === collectResponse && m.id) {
      const p = pending.get(m.id);
      if (!p) return;
      p.parts.push(m.metrics ?? []);
      if (--p.waiting === 0) p.finish();
      return;
    }
    if (m?.type !== metricsRequest) return;
    const id = randomUUID();
    const targets = Object.values(cluster.workers ?? {}).filter((w): w is NonNullable<typeof w> => !!w && serving.has(w.id) && !w.isDead());
    const p = {
      parts: [] as client.MetricObjectWithValues<client.MetricValue<string>>[][],
      waiting: targets.length,
      finish: () => {
        clearTimeout(timer);
        pending.delete(id);
        client.AggregatorRegistry.aggregate(p.parts)
          .metrics()
          .then(
            (text) => worker.send({ type: metricsResponse, id: m.id, text }),
            (err: Error) => worker.send({ type: metricsResponse, id: m.id, error: err.message }),
          );
      },
    };
    const timer = setTimeout(() => p.finish(), 2000);
    pending.set(id, p);
    for (const w of targets) w.send({ type: collectRequest, id });
    if (!targets.length) p.finish();
  });
}
