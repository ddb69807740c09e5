// A replication worker from the server's settings: the same database, signing keys and
// secret key as the servers, so it can read rules, unseal credentials and sign its own
// tokens for this Berth's /v2.
import { loadSigningKeys } from '../server/auth/signingKeys.js';
import type { Config } from '../server/config/config.js';
import type { Database } from '../server/db/database.js';
import type { Logger } from '../server/log/logger.js';
import { loadSecretKey, secretBox } from '../server/replication/secretBox.js';
import { parseAllowedNetworks } from '../server/replication/targets.js';
import { ReplicationWorker } from './worker.js';

export async function startWorker(config: Config, db: Database, log: Logger): Promise<ReplicationWorker> {
  const keys = await loadSigningKeys(db);
  const worker = new ReplicationWorker(
    {
      db,
      box: secretBox(loadSecretKey(config.secretKey, config.dataDir)),
      allow: parseAllowedNetworks(config.replicationAllow),
      keys: () => keys,
      tokenService: config.tokenService,
      localUrl: config.replicationLocalUrl,
      log,
    },
    { concurrency: config.replicationConcurrency, leaseSeconds: Math.ceil(config.replicationLeaseMs / 1000) },
  );
  await worker.start();
  return worker;
}
