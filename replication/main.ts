// `npm run worker`: a replication worker process. Reads the same settings as the server
// (DATABASE_URL, BERTH_SECRET_KEY, ...); any number may run against one database.
import { ConfigError, loadConfig } from '../server/config/config.js';
import { openDatabase } from '../server/db/database.js';
import { databaseUrlFor } from '../server/db/embeddedPostgres.js';
import { migrate } from '../server/db/migrate.js';
import { createLogger } from '../server/log/logger.js';
import { startWorker } from './start.js';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`berth worker: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel).child({ component: 'replication-worker' });
  // Without DATABASE_URL the worker joins the embedded cluster of the Berth that runs on
  // the same BERTH_DATA_DIR (or starts it, when none runs).
  const poolSize = config.replicationConcurrency + 4;
  const { url, embedded } = await databaseUrlFor({ ...config, maxConnections: poolSize + 10 }, log, true);
  const db = openDatabase({ databaseUrl: url, poolSize });
  await migrate(db);
  const worker = await startWorker(config, db, log);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'replication worker stopping');
    await worker.stop();
    await db.close();
    await embedded?.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`berth worker failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
