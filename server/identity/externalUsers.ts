// Users whose identity lives outside Berth (a directory, an identity provider): the row
// created at their first sign-in, and what the source says of them at every sign-in after
// (profile, admin flag, groups), written in the sign-in's transaction.
import type { Queryer } from '../db/database.js';
import { ensureUserGroups, replaceGroupMemberships, type GroupType } from '../db/userGroups.js';
import { findUserByExternalId, saveDirectoryUser, updateDirectoryUser, type UserRow, type UserSource } from '../db/users.js';
import { recordAudit } from '../audit/record.js';

/** The source's user has a name that another user holds here (never merged), or one Berth refuses. */
export class IdentityConflictError extends Error {
  override name = 'IdentityConflictError';
}

export interface ExternalFacts {
  externalId: string;
  email?: string;
  realname?: string;
  /** Decided by an admin group; undefined when none is configured (the flag stays as it is). */
  sysadmin?: boolean;
}

/**
 * Creates the user of an external source, audited. A concurrent first sign-in of the same
 * identity finds the row the other made; a name taken meanwhile is `takenMessage`.
 */
export async function createExternalUser(q: Queryer, source: UserSource, username: string, facts: ExternalFacts, takenMessage: string): Promise<UserRow> {
  const created = await saveDirectoryUser(q, {
    username,
    source,
    externalId: facts.externalId,
    email: facts.email,
    realname: facts.realname,
    sysadmin: facts.sysadmin ?? false,
  });
  if (created) {
    await recordAudit(q, { operation: 'create', resourceType: 'user', resource: `${username} (${source})`, actor: { username, actorType: 'user' } });
    return created;
  }
  const same = await findUserByExternalId(q, source, facts.externalId);
  if (!same) throw new IdentityConflictError(takenMessage);
  return same;
}

/** Writes what the source says now: the profile, the admin flag, and exactly these groups. */
export async function refreshExternalUser(
  q: Queryer,
  userId: number,
  facts: ExternalFacts,
  groups: { type: GroupType; list: Array<{ name: string; dn: string | null }> },
): Promise<UserRow> {
  const updated = await updateDirectoryUser(q, userId, facts);
  await replaceGroupMemberships(q, userId, await ensureUserGroups(q, groups.type, groups.list));
  return updated;
}
