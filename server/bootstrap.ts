// What must exist before the first request: the admin user, the public `library`
// project and a token signing key. Runs in the primary after migrations, under the
// database-wide lock so several servers starting together create each thing once.
import { randomBytes } from 'node:crypto';
import { ensureSigningKey } from './auth/signingKeys.js';
import type { Database, Queryer } from './db/database.js';
import { adoptOwnerless, findProjectByName, saveProject } from './db/projects.js';
import { findUserByName, saveUser } from './db/users.js';
import { hashPassword } from './projects/passwords.js';

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

/**
 * Creates the system administrator `admin` once. Returns the generated password when none
 * was configured (the caller prints it once), else undefined.
 */
export async function ensureAdmin(q: Queryer, configured: string | undefined): Promise<string | undefined> {
  if (await findUserByName(q, 'admin')) return undefined;
  const password = configured ?? `${randomBytes(12).toString('base64url')}A1a`;
  await saveUser(q, { username: 'admin', realname: 'system admin', passwordHash: await hashPassword(password), sysadmin: true });
  return configured ? undefined : password;
}
