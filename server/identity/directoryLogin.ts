// A login through the directory: the directory checks the password; Berth keeps a user row
// for the entry (created at the first login), and the entry's groups and admin flag as
// they are now, so roles granted to a group follow the directory.
import type { AuthSettingsValues } from '../config/authSettings.js';
import type { Database } from '../db/database.js';
import { groupTypes } from '../db/userGroups.js';
import { findUserByExternalId, findUserByName, type UserRow } from '../db/users.js';
import { createExternalUser, IdentityConflictError, refreshExternalUser } from './externalUsers.js';
import { normalizeDn, verifyDirectoryUser } from './ldap.js';

/**
 * Undefined when the directory has no such user or the password is wrong. Throws
 * DirectoryError when the directory cannot answer, IdentityConflictError on a name taken by
 * a user of another source (never merged: a local alice is not the directory's alice).
 */
export async function ldapLogin(db: Database, s: AuthSettingsValues, username: string, password: string): Promise<UserRow | undefined> {
  const entry = await verifyDirectoryUser(s, username, password);
  if (!entry) return undefined;
  const externalId = normalizeDn(entry.dn);
  const admin = s.ldap_group_admin_dn ? entry.groups.some((g) => normalizeDn(g.dn) === normalizeDn(s.ldap_group_admin_dn)) : undefined;
  const facts = { externalId, email: entry.email, realname: entry.realname, sysadmin: admin };
  return db.tx(async (q) => {
    let user = await findUserByExternalId(q, 'ldap', externalId);
    if (!user) {
      const sameName = await findUserByName(q, entry.username);
      if (sameName && sameName.source !== 'ldap') {
        throw new IdentityConflictError(
          `the user name ${entry.username} belongs to a ${sameName.source === 'db' ? 'local' : sameName.source} user here; ask an administrator`,
        );
      }
      // The same name from the same directory under another DN: the entry was moved or renamed.
      user = sameName ?? (await createExternalUser(q, 'ldap', entry.username, facts, `the user name ${entry.username} is taken here; ask an administrator`));
    }
    return refreshExternalUser(q, user.id, facts, { type: groupTypes.ldap, list: entry.groups.map((g) => ({ name: g.name, dn: normalizeDn(g.dn) })) });
  });
}
