import type { Database } from '../db/database.js';
import type { BlobStore } from '../storage/blobStore.js';

/** What registry services use; handlers get one of these, tests may build their own. */
export interface RegistryDeps {
  db: Database;
  store: BlobStore;
}
