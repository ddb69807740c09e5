// An in-process Berth on a random port: real database (a fresh PostgreSQL database), real
// filesystem blob store, the real app.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../../server/db/database.js';
import { migrate } from '../../server/db/migrate.js';
import { createApp } from '../../server/http/app.js';
import { createLogger } from '../../server/log/logger.js';
import type { BlobStore } from '../../server/storage/blobStore.js';
import { FsBlobStore } from '../../server/storage/fs/fsBlobStore.js';
import type { AuthDeps } from '../../server/auth/resolvers.js';
import type { ReplicationSettings } from '../../server/api/deps.js';
import { loadSigningKeys } from '../../server/auth/signingKeys.js';
import { secretBox } from '../../server/replication/secretBox.js';
import { AuthSettingsStore } from '../../server/identity/settings.js';
import { QueueHandle } from '../../server/replication/queue.js';
import type { WorkerSettings } from '../../replication/context.js';
import { ReplicationWorker } from '../../replication/worker.js';
import { defaultScanRunnerSettings, ScanRunner, type ScanRunnerSettings } from '../../server/scanning/runner.js';

/** One key for every in-process registry of a test run (as servers sharing BERTH_SECRET_KEY). */
export const testSecretKey = randomBytes(32);
import { bootstrap } from '../../server/bootstrap.js';
import { admin } from './api.js';
import { createTestDatabase } from './database.js';

export interface TestRegistry {
  url: string;
  /** The PostgreSQL database's URL. */
  databaseUrl: string;
  db: Database;
  store: BlobStore;
  dir: string;
  server: Server;
  app: ReturnType<typeof createApp>;
  /** Writes what the app queued for the audit log (pulls, logins) now. */
  flushAudit(): Promise<void>;
  /** Writes the pull counts and times gathered so far. */
  flushPulls(): Promise<void>;
  close(): Promise<void>;
}

export async function openTestDatabase(): Promise<{ db: Database; dir: string; url: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-it-'));
  const pgDb = await createTestDatabase();
  const db = openDatabase({ databaseUrl: pgDb.url, poolSize: 10 });
  return {
    db,
    dir,
    url: pgDb.url,
    async dispose() {
      await db.close();
      await pgDb.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function testAuthDeps(db: Database): Promise<AuthDeps> {
  const keys = await loadSigningKeys(db);
  return {
    db,
    keys: () => keys,
    tokenService: 'berth',
    tokenExpirationMs: 30 * 60_000,
    projectCreation: 'everyone',
    // A short cache: tests change the settings and sign in right after.
    identity: new AuthSettingsStore(db, secretBox(testSecretKey), {}, 0),
  };
}

/** Replication targets in tests are other registries on loopback. */
export function testReplication(queue?: QueueHandle): ReplicationSettings {
  return { box: secretBox(testSecretKey), allow: { loopback: true, private: false }, queue };
}

/** Fast enough for tests: short leases and backoffs, frequent ticks. */
export const testWorkerSettings: Partial<WorkerSettings> = {
  concurrency: 3,
  leaseSeconds: 3,
  tickMs: 200,
  sweepMs: 500,
  retryBaseSeconds: 1,
  retryMaxSeconds: 2,
  requestRetry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 100 },
  pollingIntervalSeconds: 0.5,
};

/** A replication worker in this process for a test registry (its database, its /v2). */
export async function startTestWorker(reg: TestRegistry, settings: Partial<WorkerSettings> = {}): Promise<ReplicationWorker> {
  const keys = await loadSigningKeys(reg.db);
  const worker = new ReplicationWorker(
    {
      db: reg.db,
      box: secretBox(testSecretKey),
      allow: { loopback: true, private: false },
      keys: () => keys,
      tokenService: 'berth',
      localUrl: reg.url,
      log: createLogger('silent'),
    },
    { ...testWorkerSettings, ...settings },
  );
  await worker.start();
  return worker;
}

/** A scan runner for a test registry: its database, its /v2 for the adapter, quick polls and retries. */
export function startTestScanRunner(reg: TestRegistry, settings: Partial<ScanRunnerSettings> = {}): ScanRunner {
  const runner = new ScanRunner(
    {
      db: reg.db,
      box: secretBox(testSecretKey),
      allow: { loopback: true, private: false },
      log: createLogger('silent'),
      registryUrl: { external: reg.url, internal: reg.url },
    },
    { ...defaultScanRunnerSettings, pollMs: 100, retryBaseMs: 200, ...settings },
  );
  runner.start();
  return runner;
}

export async function startTestRegistry(opts: { store?: (dir: string) => BlobStore } = {}): Promise<TestRegistry> {
  const { db, dir, url: databaseUrl, dispose } = await openTestDatabase();
  await migrate(db);
  await bootstrap(db, admin.password);
  const store = opts.store ? opts.store(dir) : new FsBlobStore(path.join(dir, 'blobs'));
  const queue = new QueueHandle(db);
  const auth = await testAuthDeps(db);
  const app = createApp({ db, store, log: createLogger('silent'), auth, replication: testReplication(queue), pullGateCacheMs: 0 });
  const server = http.createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    databaseUrl,
    db,
    store,
    dir,
    server,
    app,
    flushAudit: () => app.auditWriter.flush(),
    flushPulls: () => app.pulls.flush(),
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await app.auditWriter.close();
      await app.pulls.close();
      await queue.close();
      await dispose();
    },
  };
}
