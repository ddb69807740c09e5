// Applies migrations/NNNN_name.sql in order, each once, each in its own transaction,
// recorded in schema_migrations. Several servers starting together serialize on an
// advisory lock, so each migration still runs exactly once.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../config/paths.js';
import type { Database } from './database.js';

export const migrationsDir = path.join(projectRoot, 'migrations');
const lockId = 0x6265727468; // "berth"

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function loadMigrations(dir = migrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const out: Migration[] = [];
  for (const file of files) {
    const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) throw new Error(`migration file name must be NNNN_name.sql: ${file}`);
    const version = Number(m[1]);
    if (out.some((x) => x.version === version)) throw new Error(`two migrations numbered ${m[1]}`);
    out.push({ version, name: m[2], sql: await readFile(path.join(dir, file), 'utf8') });
  }
  return out;
}

/** Returns the versions applied by this call (empty when the schema was current). */
export async function migrate(db: Database, dir = migrationsDir): Promise<number[]> {
  const migrations = await loadMigrations(dir);
  return db.withExclusiveLock(lockId, async (q) => {
    await q.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer CONSTRAINT pk_schema_migrations PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = new Set((await q.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await db.tx(async (t) => {
        await t.exec(m.sql);
        await t.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      });
      applied.push(m.version);
    }
    return applied;
  });
}
