// Runs the HTTP server in this process until a shutdown signal, then drains it.
import http from 'node:http';
import type { Config } from '../config/config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../log/logger.js';
import type { BlobStore } from '../storage/blobStore.js';
import { createApp } from './app.js';
import { AuditWriter } from '../audit/writer.js';
import { loadSecretKey, secretBox } from '../replication/secretBox.js';
import { parseAllowedNetworks } from '../replication/targets.js';
import { loadSigningKeys } from '../auth/signingKeys.js';
import type { AuthDeps } from '../auth/resolvers.js';
import { QueueHandle } from '../replication/queue.js';
import { AuthSettingsStore } from '../identity/settings.js';

export interface RunningServer {
  server: http.Server;
  /** Stops accepting, lets in-flight requests finish within the timeout, then closes the rest. */
  close(): Promise<void>;
}

export async function serve(config: Config, db: Database, store: BlobStore, log: Logger): Promise<RunningServer> {
  const keys = await loadSigningKeys(db);
  const queue = new QueueHandle(db);
  const box = secretBox(loadSecretKey(config.secretKey, config.dataDir));
  const auth: AuthDeps = {
    db,
    keys: () => keys,
    tokenService: config.tokenService,
    tokenExpirationMs: config.tokenExpirationMs,
    sessionTimeoutMs: config.sessionTimeoutMs,
    externalUrl: config.externalUrl,
    projectCreation: config.projectCreation,
    log,
    identity: new AuthSettingsStore(db, box, config.authOverrides),
  };
  const auditWriter = new AuditWriter(db, { enabled: config.auditLog, log });
  const app = createApp({
    db,
    store,
    log,
    auth,
    storagePerProject: config.storagePerProject,
    replication: { box, allow: parseAllowedNetworks(config.replicationAllow), queue },
    accessLog: config.accessLog,
    auditWriter,
    trustedProxies: config.trustedProxies,
    metrics: config.metrics,
    redirectBlobs: config.s3?.redirect,
  });
  const server = http.createServer(app.callback());
  // Big blobs stream for as long as they need; only slow headers are cut off.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
        server.close(() => {
          clearTimeout(timer);
          // After the last request: what it queued for the audit log is written before exit.
          void Promise.allSettled([auditWriter.close(), app.pulls.close(), queue.close()]).finally(resolve);
        });
        server.closeIdleConnections();
      }),
  };
}
