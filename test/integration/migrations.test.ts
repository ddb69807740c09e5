import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadMigrations, migrate, migrationsDir } from '../../server/db/migrate.js';
import { openTestDatabase } from '../helpers/inProcess.js';

describe(`migrations`, () => {
  it('apply each numbered file once, recorded in schema_migrations', async () => {
    const t = await openTestDatabase();
    try {
      const all = (await loadMigrations()).map((m) => m.version);
      assert.ok(all.length >= 1);
      assert.deepEqual(await migrate(t.db), all);
      assert.deepEqual(await migrate(t.db), [], 'a second run applies nothing');
      const { rows } = await t.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(
        rows.map((r) => r.version),
        all,
      );
      for (const table of ['repositories', 'blobs', 'repository_blobs', 'manifests', 'manifest_blobs', 'manifest_children', 'tags', 'uploads']) {
        await t.db.query(`SELECT 1 FROM ${table} LIMIT 1`);
      }
    } finally {
      await t.dispose();
    }
  });

  it('roll back a failing migration whole and record nothing for it', async () => {
    const t = await openTestDatabase();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-mig-'));
    try {
      await writeFile(path.join(dir, '0001_ok.sql'), 'CREATE TABLE mig_ok (id int);');
      await writeFile(path.join(dir, '0002_bad.sql'), 'CREATE TABLE mig_half (id int);\nSELECT no_such_function();');
      await assert.rejects(migrate(t.db, dir));
      const { rows } = await t.db.query<{ version: number }>('SELECT version FROM schema_migrations');
      assert.deepEqual(
        rows.map((r) => r.version),
        [1],
      );
      await assert.rejects(t.db.query('SELECT 1 FROM mig_half'), 'the failed migration left no table');
    } finally {
      await t.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ship files named NNNN_name.sql with a header saying why', async () => {
    for (const m of await loadMigrations(migrationsDir)) assert.match(m.sql, /^-- \d{4}_[a-z0-9_]+: /, `${m.version} needs a header comment`);
  });
});
