// GET /api/v2.0/health — Harbor's shape: overall status plus one entry per component.
import type Koa from 'koa';
import type { Database } from '../db/database.js';
import type { BlobStore } from '../storage/blobStore.js';
import { listLiveWorkers } from '../db/replicationWorkers.js';

export interface ComponentHealth {
  name: string;
  status: 'healthy' | 'unhealthy';
  error?: string;
}

const checkTimeoutMs = 5000;

async function probe(name: string, check: () => Promise<unknown>): Promise<ComponentHealth> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${checkTimeoutMs} ms`)), checkTimeoutMs))),
    ]);
    return { name, status: 'healthy' };
  } catch (err) {
    return { name, status: 'unhealthy', error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

// A worker beats every few seconds (its sweep); one silent for this long is gone.
const workerSilenceSeconds = 30;

/**
 * The replication workers seen lately, as one component: unhealthy when one of them cannot
 * use this Berth's /v2, naming why. Absent when no worker runs (replication is optional).
 */
async function workersHealth(db: Database): Promise<ComponentHealth[]> {
  const workers = await listLiveWorkers(db, workerSilenceSeconds).catch(() => undefined);
  if (!workers?.length) return [];
  const failing = workers.filter((w) => !w.reachable);
  if (!failing.length) return [{ name: 'replication_worker', status: 'healthy' }];
  return [{ name: 'replication_worker', status: 'unhealthy', error: failing.map((w) => `worker ${w.id}: ${w.problem}`).join('; ') }];
}

// Components a request to this server depends on; the others only say how Berth is doing.
const serving: ReadonlySet<string> = new Set(['database', 'storage']);

export async function checkHealth(db: Database, store: BlobStore) {
  const components = (
    await Promise.all([
      probe('database', () => db.query('SELECT 1')).then((c) => [c]),
      probe('storage', () => store.check()).then((c) => [c]),
      workersHealth(db),
    ])
  ).flat();
  const healthy = components.every((c) => c.status === 'healthy');
  return { status: healthy ? 'healthy' : 'unhealthy', components, serving: components.every((c) => c.status === 'healthy' || !serving.has(c.name)) };
}

// NOTE: 503 only when this server cannot serve (database or storage): load balancers take
// a 503 server out, and a replication worker's trouble must not take pushes and pulls down.
export function healthRoute(db: Database, store: BlobStore): Koa.Middleware {
  return async (ctx) => {
    const { serving: canServe, ...report } = await checkHealth(db, store);
    ctx.status = canServe ? 200 : 503;
    ctx.body = report;
  };
}
