// What must exist before the first request: the admin user, the public `library`
// project and a token signing key. Runs in the primary after migrations, under the
// database-wide lock so several servers starting together create each thing once.
import { ensureSigningKey } from '../auth/signingKeys.js';
import type { Database } from '../db/database.js';
import { adoptOwnerless, findProjectByName, saveProject } from '../db/projects.js';
import { findUserByName } from '../db/users.js';
import { ensureAdmin } from './identity.js';

const bootstrapLockId = 0x6265727469;

/** Returns the admin password when one was generated (to be shown once), else undefined. */
export async function bootstrap(db: Database, adminPassword: string | undefined): Promise<string | undefined> {
  return db.withExclusiveLock(bootstrapLockId, async (q) => {
    const generated = await ensureAdmin(q, adminPassword);
    // The admin owns the built-in project, as in Harbor (older Berths left it without owner).
    const admin = await findUserByName(q, 'admin');
    if (!(await findProjectByName(q, 'library'))) await saveProject(q, { name: 'library', public: true, ownerId: admin?.id ?? null });
    else if (admin) await adoptOwnerless(q, 'library', admin.id);
    await ensureSigningKey(q);
    return generated;
  });
}
