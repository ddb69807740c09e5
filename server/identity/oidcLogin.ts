// A sign-in through the identity provider, after the provider confirmed who it is: the
// Berth user for that subject (created at the first sign-in, with the claimed name or one
// the user picks), their groups and admin flag as the provider says now, and the tokens a
// CLI login checks later. And the CLI login itself: the user's CLI secret, and while the
// last sign-in has expired, a refresh that the provider may refuse.
import { randomBytes } from 'node:crypto';
import type { AuthSettingsValues } from '../config/authSettings.js';
import type { Database, Queryer } from '../db/database.js';
import { findOidcUser, saveOidcTokens, updateOidcSecret } from '../db/oidc.js';
import { groupTypes } from '../db/userGroups.js';
import { findUserByExternalId, findUserByName, type UserRow } from '../db/users.js';
import { sameSecret } from '../lib/sameSecret.js';
import { usernamePattern, usernameRule } from '../lib/usernames.js';
import { createExternalUser, type ExternalFacts, IdentityConflictError, refreshExternalUser } from './externalUsers.js';
import { type OidcIdentity, refreshIdentity } from './oidc.js';
import type { Sealer } from './settings.js';

/** A new CLI secret: 32 random characters, shown to its owner in the console. */
export function newCliSecret(): string {
  return randomBytes(24).toString('base64url');
}

async function applyIdentity(q: Queryer, s: AuthSettingsValues, box: Sealer, user: UserRow, identity: OidcIdentity): Promise<UserRow> {
  const updated = await refreshExternalUser(q, user.id, facts(s, identity), {
    type: groupTypes.oidc,
    list: s.oidc_groups_claim ? identity.groups.map((name) => ({ name, dn: null })) : [],
  });
  await saveOidcTokens(q, user.id, {
    secretSealed: box.seal(newCliSecret()),
    refreshSealed: identity.refreshToken ? box.seal(identity.refreshToken) : null,
    expiresAt: identity.expiresAt,
  });
  return updated;
}

function facts(s: AuthSettingsValues, identity: OidcIdentity): ExternalFacts {
  return { externalId: identity.subiss, email: identity.email, realname: identity.realname, sysadmin: s.oidc_admin_group ? identity.admin : undefined };
}

/**
 * The user this verified identity signs in as. `chosenName` is the name a new user picked
 * (automatic onboarding off); without it a new user gets `needsName`, with the claimed name
 * as a suggestion. Throws IdentityConflictError when the name is taken or not a valid one.
 */
export async function oidcSignIn(
  db: Database,
  s: AuthSettingsValues,
  box: Sealer,
  identity: OidcIdentity,
  chosenName?: string,
): Promise<{ user: UserRow } | { needsName: string }> {
  return db.tx(async (q) => {
    const known = await findUserByExternalId(q, 'oidc', identity.subiss);
    if (known) return { user: await applyIdentity(q, s, box, known, identity) };
    const name = chosenName ?? (s.oidc_auto_onboard ? identity.username : undefined);
    if (name === undefined) return { needsName: identity.username ?? '' };
    if (!usernamePattern.test(name)) {
      throw new IdentityConflictError(
        chosenName ? `${usernameRule}` : `the provider's user name ${name.slice(0, 100)} is not one Berth accepts (${usernameRule})`,
      );
    }
    const taken = await findUserByName(q, name);
    if (taken) {
      throw new IdentityConflictError(
        chosenName ? `the user name ${name} is taken; choose another` : `the user name ${name} belongs to another user here; ask an administrator`,
      );
    }
    const created = await createExternalUser(q, 'oidc', name, { ...facts(s, identity), sysadmin: false }, `the user name ${name} is taken; choose another`);
    return { user: await applyIdentity(q, s, box, created, identity) };
  });
}

export type CliCheck = { ok: true } | { ok: false; reason: 'invalid' | 'expired' };

/**
 * Checks an OIDC user's CLI secret. While their last sign-in is still valid that is all;
 * after it expired, the provider is asked with the refresh token (refused: the user may no
 * longer sign in; none: they must sign in to the console again). Throws ProviderError
 * when the provider cannot be asked.
 */
export async function checkCliSecret(db: Database, s: AuthSettingsValues, box: Sealer, user: UserRow, secret: string): Promise<CliCheck> {
  const row = await findOidcUser(db, user.id);
  if (!row) return { ok: false, reason: 'invalid' };
  let stored: string;
  try {
    stored = box.open(row.secret_sealed);
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  if (!sameSecret(stored, secret)) return { ok: false, reason: 'invalid' };
  if (new Date(row.token_expires_at).getTime() > Date.now()) return { ok: true };
  if (!row.refresh_sealed) return { ok: false, reason: 'expired' };
  const identity = await refreshIdentity(s, box.open(row.refresh_sealed), { subiss: user.external_id ?? '' });
  if (!identity) return { ok: false, reason: 'expired' };
  await db.tx((q) => applyIdentity(q, s, box, user, identity));
  return { ok: true };
}

/** The user's CLI secret, for its owner. */
export async function readCliSecret(q: Queryer, box: Sealer, userId: number): Promise<string | undefined> {
  const row = await findOidcUser(q, userId);
  return row ? box.open(row.secret_sealed) : undefined;
}

export async function writeCliSecret(q: Queryer, box: Sealer, userId: number, secret: string): Promise<boolean> {
  return updateOidcSecret(q, userId, box.seal(secret));
}
