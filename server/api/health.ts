// GET /api/v2.0/health — Harbor's shape: overall status plus one entry per component.
import type Koa from 'koa';
import type { Database } from '../db/database.js';
import type { BlobStore } from '../storage/blobStore.js';

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

export async function checkHealth(db: Database, store: BlobStore) {
  const components = await Promise.all([
    probe('database', () => db.query('SELECT 1')),
    probe('storage', () => store.check()),
  ]);
  const healthy = components.every((c) => c.status === 'healthy');
  return { status: healthy ? 'healthy' : 'unhealthy', components };
}

export function healthRoute(db: Database, store: BlobStore): Koa.Middleware {
  return async (ctx) => {
    const report = await checkHealth(db, store);
    ctx.status = report.status === 'healthy' ? 200 : 503;
    ctx.body = report;
  };
}
