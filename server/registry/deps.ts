import type { Database } from '../db/database.js';
import type { BlobStore } from '../storage/blobStore.js';
import type { PullStats } from './pullStats.js';
import type { PullGate } from './pullGate.js';

/** What registry services use; handlers get one of these, tests may build their own. */
export interface RegistryDeps {
  db: Database;
  store: BlobStore;
  /** Where pulls are counted (none: not counted). */
  pulls?: PullStats;
  /** Refuses pulls of vulnerable images where a project says so (none: nothing is gated). */
  gate?: PullGate;
  /** Send blob GETs to the store's pre-signed URLs (BERTH_S3_REDIRECT) when it has them. */
  redirectBlobs?: boolean;
}
