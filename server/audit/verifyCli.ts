// `npm run audit:verify`: walks the audit chain of the configured database (the same
// settings as the server) and exits 0 when it is intact, 1 with the first bad row when not.
import { loadConfig } from '../config/config.js';
import { openDatabase } from '../db/database.js';
import { databaseUrlFor } from '../db/embeddedPostgres.js';
import { createLogger } from '../log/logger.js';
import { verifyAuditChain } from './maintenance.js';

const config = loadConfig();
// On the embedded database: join the running Berth's cluster, or start it for the check.
const { url, embedded } = await databaseUrlFor({ ...config, maxConnections: 20 }, createLogger('warn'), true);
const db = openDatabase({ databaseUrl: url, poolSize: 1 });
try {
  const result = await verifyAuditChain(db);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = result.intact ? 0 : 1;
} finally {
  await db.close();
  await embedded?.stop();
}
