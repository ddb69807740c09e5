// Each test run gets its own PostgreSQL database (dropped afterwards), or its own PGlite
// directory. BERTH_TEST_DB=pglite selects the embedded database for the whole run.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const testDbKind: 'pg' | 'pglite' = process.env.BERTH_TEST_DB === 'pglite' ? 'pglite' : 'pg';
const adminUrl = process.env.BERTH_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty PostgreSQL database with a unique name. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `berth_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * A PGlite data directory that has been initialised (initdb) but not migrated, built once
 * per machine and copied for each test: initdb in WebAssembly takes seconds, a copy does not.
 */
export async function pgliteTemplate(): Promise<string> {
  const { mkdtemp, rename, rm, stat } = await import('node:fs/promises');
  const os = await import('node:os');
  const path = await import('node:path');
  const { readFile } = await import('node:fs/promises');
  const pkg = new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url);
  const version = JSON.parse(await readFile(pkg, 'utf8')).version as string;
  const dir = path.join(os.tmpdir(), `berth-pglite-template-${version}`);
  if (await stat(path.join(dir, 'PG_VERSION')).catch(() => undefined)) return dir;
  const building = await mkdtemp(path.join(os.tmpdir(), 'berth-pglite-building-'));
  const { PGlite } = await import('@electric-sql/pglite');
  const db = new PGlite(building);
  await db.waitReady;
  await db.close();
  // Another test process may have won the race; then keep theirs.
  await rename(building, dir).catch(async () => rm(building, { recursive: true, force: true }));
  return dir;
}

/** Fills `target` (which must not exist) with a fresh copy of the PGlite template. */
export async function copyPgliteTemplate(target: string): Promise<void> {
  const { cp } = await import('node:fs/promises');
  await cp(await pgliteTemplate(), target, { recursive: true });
}
