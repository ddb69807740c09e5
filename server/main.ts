// Process entry: read settings, start the embedded PostgreSQL when no DATABASE_URL is set,
// migrate, then serve — in this process (BERTH_WORKERS=1) or in BERTH_WORKERS cluster
// workers sharing one port. The primary also runs the periodic purge of abandoned uploads
// and expired console sessions, garbage collection (gc/runner.ts), tag retention and
// vulnerability scans (scanning/runner.ts), and stops the
// embedded database last.
import cluster from 'node:cluster';
import { ConfigError, loadConfig, type Config } from './config/config.js';
import { openDatabase, type Database } from './db/database.js';
import { databaseUrlFor } from './db/embeddedPostgres.js';
import { migrate } from './db/migrate.js';
import { createLogger, type Logger } from './log/logger.js';
import { bootstrap } from './bootstrap.js';
import { purgeUploads } from './registry/uploads.js';
import { purgeExpiredSessions } from './db/sessions.js';
import { purgeAuditLog } from './audit/maintenance.js';
import { AuditForwarder, parseSyslogUrl } from './audit/forwarder.js';
import type { BlobStore } from './storage/blobStore.js';
import { createBlobStore } from './storage/index.js';
import { serveClusterMetrics } from './http/metrics.js';
import { defaultGcRunnerSettings, GcRunner } from './gc/runner.js';
import { RetentionRunner } from './retention/runner.js';
import { ScanRunner } from './scanning/runner.js';
import { loadSecretKey, secretBox } from './replication/secretBox.js';
import { parseAllowedNetworks } from './replication/targets.js';

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`berth: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

function schedulePurge(config: Config, db: Database, store: BlobStore, log: Logger): NodeJS.Timeout {
  const run = () => {
    purgeUploads({ db, store }, config.uploadMaxAgeMs)
      .then((r) => r.sessions + r.orphans + r.temporary > 0 && log.info(r, 'purged abandoned uploads'))
      .catch((err) => log.warn({ err }, 'upload purge failed'));
    // Expired console sessions are refused anyway; this only keeps the table small.
    purgeExpiredSessions(db).catch((err) => log.warn({ err }, 'session purge failed'));
  };
  const timer = setInterval(run, config.uploadPurgeIntervalMs);
  timer.unref();
  return timer;
}

// Audit retention: hourly; a purge with nothing old enough costs one index probe.
function scheduleAuditPurge(config: Config, db: Database, log: Logger): NodeJS.Timeout | undefined {
  if (!config.auditRetentionMs) return undefined;
  const run = () =>
    purgeAuditLog(db, config.auditRetentionMs, false)
      .then((r) => r.rows > 0 && log.info(r, 'purged old audit rows'))
      .catch((err) => log.warn({ err }, 'audit purge failed'));
  const timer = setInterval(run, 3_600_000);
  timer.unref();
  setTimeout(run, 10_000).unref();
  return timer;
}

async function primary(config: Config, log: Logger): Promise<void> {
  const store = await createBlobStore(config);
  await store.check();
  // The primary serves itself only with one worker process; the replication worker needs a
  // connection per task plus its heartbeats and queue polling.
  const poolSize = (config.workers === 1 ? config.dbPoolSize : 2) + (config.replicationWorker ? config.replicationConcurrency + 2 : 0);
  // Every pool together, plus pg-boss's and a few for an operator's psql.
  const maxConnections = Math.max(20, poolSize + config.workers * config.dbPoolSize + 10);
  const { url: databaseUrl, embedded } = await databaseUrlFor({ ...config, maxConnections }, log);
  const db = openDatabase({ databaseUrl, poolSize });
  const applied = await migrate(db);
  log.info({ applied, database: embedded ? 'embedded' : 'external', storage: store.name, workers: config.workers }, 'migrations applied');
  const generated = await bootstrap(db, config.adminPassword);
  if (generated) {
    // Shown once, on the console of the first start; it is stored only as a bcrypt hash.
    process.stdout.write(
      `\nberth: created user "admin" with password: ${generated}\nberth: change it after logging in (or set BERTH_ADMIN_PASSWORD before the first start)\n\n`,
    );
  }
  const purge = schedulePurge(config, db, store, log);
  const auditPurge = scheduleAuditPurge(config, db, log);
  const forwarder = config.auditSyslog ? new AuditForwarder(db, parseSyslogUrl(config.auditSyslog), log) : undefined;
  await forwarder?.start();
  const gc = new GcRunner({ db, store, log: log.child({ component: 'gc' }) }, { ...defaultGcRunnerSettings, reviewDelayMs: config.gcReviewDelayMs });
  gc.start();
  const retention = new RetentionRunner({ db, log: log.child({ component: 'retention' }) });
  retention.start();
  const scans = new ScanRunner({
    db,
    box: secretBox(loadSecretKey(config.secretKey, config.dataDir)),
    allow: parseAllowedNetworks(config.replicationAllow),
    log: log.child({ component: 'scan' }),
    registryUrl: { external: config.externalUrl?.replace(/\/+$/, '') ?? config.replicationLocalUrl, internal: config.replicationLocalUrl },
  });
  scans.start();

  let stopping = false;
  let stopServer: () => Promise<void> = async () => undefined;
  if (config.workers === 1) {
    // The HTTP stack is loaded where it serves: a primary with workers only supervises.
    const { serve } = await import('./http/serve.js');
    const running = await serve(config, db, store, log);
    stopServer = running.close;
  } else {
    if (config.metrics) serveClusterMetrics();
    // Workers learn the embedded cluster's URL from the primary.
    const workerEnv = { DATABASE_URL: databaseUrl };
    for (let i = 0; i < config.workers; i++) cluster.fork(workerEnv);
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return;
      log.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
      cluster.fork(workerEnv);
    });
    stopServer = async () => {
      const workers = Object.values(cluster.workers ?? {});
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (!w || w.isDead()) return resolve();
              w.once('exit', () => resolve());
              w.process.kill('SIGTERM');
            }),
        ),
      );
    };
  }
  log.info({ port: config.port, host: config.host }, 'berth listening');
  const replication = config.replicationWorker
    ? await (await import('../replication/start.js')).startWorker(config, db, log.child({ component: 'replication-worker' }))
    : undefined;

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    clearInterval(purge);
    clearInterval(auditPurge);
    await replication?.stop();
    await gc.stop();
    await retention.stop();
    await scans.stop();
    await stopServer();
    await forwarder?.close();
    await db.close();
    await embedded?.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

async function worker(config: Config, log: Logger): Promise<void> {
  const store = await createBlobStore(config);
  const { serve } = await import('./http/serve.js');
  // The primary forks workers with DATABASE_URL set (its own or the embedded cluster's).
  const db = openDatabase({ databaseUrl: config.databaseUrl!, poolSize: config.dbPoolSize });
  const running = await serve(config, db, store, log);
  let stopping = false;
  process.on('SIGTERM', async () => {
    if (stopping) return;
    stopping = true;
    await running.close();
    await db.close();
    process.exit(0);
  });
  // The primary forwards SIGINT as SIGTERM; a terminal's Ctrl-C reaches workers too.
  process.on('SIGINT', () => undefined);
}

const config = readConfig();
const log = createLogger(config.logLevel);
(cluster.isPrimary ? primary(config, log) : worker(config, log)).catch((err) => {
  log.fatal({ err }, 'berth failed to start');
  process.exit(1);
});
