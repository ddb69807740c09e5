// What the management API's handlers are given: the stores, how callers are recognised, and
// the settings its services apply. Replication is optional; without it its routes are absent.
import type { AuthDeps } from '../auth/resolvers.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../log/logger.js';
import type { QueueHandle } from '../replication/queue.js';
import type { SecretBox } from '../replication/secretBox.js';
import type { AllowedNetworks } from '../replication/targets.js';
import type { BlobStore } from '../storage/blobStore.js';

/** Sealing of remote registries' secrets, the networks replication may reach, and its queue. */
export interface ReplicationSettings {
  box: SecretBox;
  allow: AllowedNetworks;
  queue?: QueueHandle;
}

export interface ApiDeps {
  db: Database;
  store: BlobStore;
  /** Basic and session callers, the token realm systeminfo reports, who may create projects. */
  auth: AuthDeps;
  /** Storage limit of new projects in bytes; -1 unlimited. */
  storagePerProject?: number;
  replication?: ReplicationSettings;
  log?: Logger;
}
