import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FsBlobStore } from '../../server/storage/fs/fsBlobStore.js';
import { startTestRegistry } from '../helpers/inProcess.js';
import { v2fetch } from '../helpers/v2client.js';

describe(`health`, () => {
  it('reports healthy with each component checked', async () => {
    const r = await startTestRegistry();
    try {
      const res = await fetch(`${r.url}/api/v2.0/health`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        status: 'healthy',
        components: [
          { name: 'database', status: 'healthy' },
          { name: 'storage', status: 'healthy' },
        ],
      });
      const missing = await fetch(`${r.url}/api/v2.0/no-such-thing`);
      assert.equal(missing.status, 404);
      assert.equal((await missing.json()).errors[0].code, 'NOT_FOUND');
      const wrongMethod = await fetch(`${r.url}/api/v2.0/health`, { method: 'DELETE' });
      assert.equal(wrongMethod.status, 405);
      assert.equal((await wrongMethod.json()).errors[0].code, 'METHOD_NOT_ALLOWED');
      const v2 = await v2fetch(`${r.url}/v2/`);
      assert.equal(v2.status, 200);
      assert.equal(v2.headers.get('docker-distribution-api-version'), 'registry/2.0');
    } finally {
      await r.close();
    }
  });

  it('answers 503 unhealthy when the blob store cannot be written', async () => {
    const r = await startTestRegistry({
      store: (dir) => new FsBlobStore(path.join(dir, 'not-a-dir', 'blobs')),
    });
    try {
      await writeFile(path.join(r.dir, 'not-a-dir'), 'a file where a directory should be');
      const res = await fetch(`${r.url}/api/v2.0/health`);
      assert.equal(res.status, 503);
      const body = await res.json();
      assert.equal(body.status, 'unhealthy');
      assert.equal(body.components.find((c: { name: string }) => c.name === 'storage').status, 'unhealthy');
      assert.equal(body.components.find((c: { name: string }) => c.name === 'database').status, 'healthy');
    } finally {
      await r.close();
    }
  });

  it('answers 503 unhealthy when the database is gone', async () => {
    const r = await startTestRegistry();
    // Terminate this test database's sessions and forbid new ones, as a crashed server would.
    const { default: pg } = await import('pg');
    const name = (await r.db.query<{ d: string }>('SELECT current_database() AS d')).rows[0].d;
    const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      const res = await fetch(`${r.url}/api/v2.0/health`);
      assert.equal(res.status, 503);
      const body = await res.json();
      assert.equal(body.components.find((c: { name: string }) => c.name === 'database').status, 'unhealthy');
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
    } finally {
      await admin.end();
      await r.close();
    }
  });
});
