// What must exist before the first request: the admin user, the public `library`
// project and a token signing key. Runs in the primary after migrations, under the
// database-wide lock so several servers starting together create each thing once.
import { ensureSigningKey } from '../auth/signingKeys.js';
import type { Database } from '../db/database.js';
import { findProjectByName, saveProject } from '../db/projects.js';
import { ensureAdmin } from './identity.js';

const bootstrapLockId = 0x6265727469;

/** Returns the admin password when one was generated (to be shown once), else undefined. */
export async function bootstrap(db: Database, adminPassword: string | undefined): Promise<string | undefined> {
  return db.withExclusiveLock(bootstrapLockId, async (q) => {
    const generated = await ensureAdmin(q, adminPassword);
    if (!(await findProjectByName(q, 'library'))) await saveProject(q, { name: 'library', public: true, ownerId: null });
    await ensureSigningKey(q);
    return generated;
  });
}
