// Login: a user's or robot's secret checked against its stored bcrypt hash, or a directory
// user's password checked by the directory, with throttling of failed logins per user name
// and per client address.
import { createHash } from 'node:crypto';
import bcrypt from 'bcrypt';
import type { Database } from '../db/database.js';
import { findRobotByName, listRobotGrants, type RobotGrant, type RobotRow } from '../db/robots.js';
import { countFailures, findUserByName, removeFailures, saveFailure, type UserRow } from '../db/users.js';
import { bcryptCost } from '../projects/passwords.js';
import { ldapLogin } from '../identity/directoryLogin.js';
import { IdentityConflictError } from '../identity/externalUsers.js';
import { DirectoryError } from '../identity/ldap.js';
import type { AuthSettingsStore, Sealer } from '../identity/settings.js';
import type { AuthSettingsValues } from '../config/authSettings.js';
import { checkCliSecret } from '../identity/oidcLogin.js';
import { ProviderError } from '../identity/oidc.js';

/** Failed logins allowed per window before refusing with 429, per user name and per address. */
export const loginLimits = { windowMs: 5 * 60_000, perUser: 10, perAddress: 50 };

export class LoginError extends Error {
  constructor(
    readonly reason: 'invalid' | 'throttled' | 'unavailable',
    message?: string,
    /** For the server's log only (a directory's address and error are not the client's business). */
    readonly detail?: string,
  ) {
    super(
      message ??
        (reason === 'invalid'
          ? 'invalid user name or password'
          : reason === 'throttled'
            ? 'too many failed logins; try again later'
            : 'the directory cannot be reached; try again later'),
    );
  }
}

// NOTE: a cache of successful checks, keyed by the credentials and valid only while the
// stored hash is the same; a password change anywhere changes the hash, so a node never
// accepts an old password. Spares a bcrypt (~80 ms) on every Basic-authenticated request.
const verified = new Map<string, string>();
let dummyHash: string | undefined;
const maxVerified = 10_000;
const controlChars = /\p{Cc}/u;

function cacheKey(username: string, password: string): string {
  return createHash('sha256').update(`${username}\0${password}`).digest('hex');
}

/**
 * Checks a secret against the stored hash of `name` (undefined: no such account, or one
 * that may not log in), with throttling per name and per address. Throws LoginError.
 * Returns whether the secret was really checked (false: this process had verified it before).
 */
async function checkSecret(db: Database, name: string, secret: string, storedHash: string | undefined, address: string): Promise<boolean> {
  const key = cacheKey(name, secret);
  if (storedHash && verified.get(key) === storedHash) return false;
  await throttle(db, name, address);
  // Compare against a real hash even for unknown accounts, so timing does not tell who exists.
  dummyHash ??= await bcrypt.hash('no such user', bcryptCost);
  const ok = await bcrypt.compare(secret, storedHash ?? dummyHash);
  if (!storedHash || !ok) return failed(db, name, address, new LoginError('invalid'));
  if (verified.size >= maxVerified) verified.clear();
  verified.set(key, storedHash);
  await removeFailures(db, `user:${name}`);
  return true;
}

/** Refuses with `throttled` once the name or the address has failed too often in the window. */
async function throttle(db: Database, name: string, address: string): Promise<void> {
  const [byName, byAddress] = await Promise.all([
    countFailures(db, [`user:${name}`], loginLimits.windowMs),
    countFailures(db, [`addr:${address}`], loginLimits.windowMs),
  ]);
  if (byName >= loginLimits.perUser || byAddress >= loginLimits.perAddress) throw new LoginError('throttled');
}

/** Counts a failure against the name and the address, then throws `err`. */
async function failed(db: Database, name: string, address: string, err: LoginError): Promise<never> {
  await saveFailure(db, [`user:${name}`, `addr:${address}`], loginLimits.windowMs);
  throw err;
}

// NOTE: directory logins this process made, by the credentials, for ldap_cache_seconds: a
// `docker pull` logs in for each token and a script may send Basic on every request, and a
// directory bind per request would be both slow and a load on the directory. A user removed
// from the directory or from a group is seen once the entry expires.
const directoryVerified = new Map<string, { userId: number; until: number }>();

/**
 * An OIDC user's CLI login (docker login with the CLI secret the console shows them); the
 * provider is asked again once their last sign-in has expired.
 */
async function cliLogin(db: Database, s: AuthSettingsValues, box: Sealer, user: UserRow, secret: string, address: string): Promise<UserRow> {
  await throttle(db, user.username, address);
  let check: Awaited<ReturnType<typeof checkCliSecret>>;
  try {
    check = await checkCliSecret(db, s, box, user, secret);
  } catch (err) {
    if (err instanceof ProviderError) throw new LoginError('unavailable', 'the identity provider cannot be reached; try again later', err.message);
    throw err;
  }
  if (!check.ok) {
    const message = check.reason === 'expired' ? 'your sign-in has expired or was revoked: sign in to the console again' : undefined;
    return failed(db, user.username, address, new LoginError('invalid', message));
  }
  await removeFailures(db, `user:${user.username}`);
  return user;
}

/**
 * Checks a user name and password, by the source the user signs in with; throws LoginError.
 * A name no local user has goes to the directory when LDAP is on (the directory's user is
 * created here at their first login). `address` is the client's; `fresh` as checkSecret's.
 */
export async function authenticate(
  db: Database,
  settings: AuthSettingsStore,
  username: string,
  password: string,
  address: string,
): Promise<{ user: UserRow; fresh: boolean; source: UserRow['source'] }> {
  // PostgreSQL text cannot hold NUL, and no account name holds a control character.
  if (controlChars.test(username)) throw new LoginError('invalid');
  const user = await findUserByName(db, username);
  const s = await settings.current();
  const modes = s.auth_modes;
  const ldapOn = modes.includes('ldap_auth');
  if (user?.source === 'db' || (!user && !ldapOn)) {
    // With local sign-in off, local system administrators still sign in: someone must be
    // able to fix the directory settings when the directory is wrong.
    const allowed = modes.includes('db_auth') || user?.sysadmin;
    const fresh = await checkSecret(db, username, password, allowed ? (user?.password_hash ?? undefined) : undefined, address);
    return { user: user!, fresh, source: 'db' };
  }
  if (user?.source === 'oidc' && modes.includes('oidc_auth'))
    return { user: await cliLogin(db, s, settings.box, user, password, address), fresh: true, source: 'oidc' };
  if (!ldapOn || (user && user.source !== 'ldap')) {
    await throttle(db, username, address);
    return failed(db, username, address, new LoginError('invalid'));
  }
  const key = cacheKey(username, password);
  const hit = directoryVerified.get(key);
  if (hit && hit.until > Date.now() && user?.id === hit.userId) return { user, fresh: false, source: 'ldap' };
  await throttle(db, username, address);
  let signedIn: UserRow | undefined;
  try {
    signedIn = await ldapLogin(db, s, username, password);
  } catch (err) {
    if (err instanceof DirectoryError) throw new LoginError('unavailable', undefined, err.message);
    if (err instanceof IdentityConflictError) return failed(db, username, address, new LoginError('invalid', err.message));
    throw err;
  }
  if (!signedIn) return failed(db, username, address, new LoginError('invalid'));
  if (s.ldap_cache_seconds > 0) {
    if (directoryVerified.size >= maxVerified) directoryVerified.clear();
    directoryVerified.set(key, { userId: signedIn.id, until: Date.now() + s.ldap_cache_seconds * 1000 });
  }
  await removeFailures(db, `user:${username}`);
  return { user: signedIn, fresh: true, source: 'ldap' };
}

/** Checks a robot account's name and secret; throws LoginError (disabled and expired robots too). */
export async function authenticateRobot(
  db: Database,
  name: string,
  secret: string,
  address: string,
): Promise<{ robot: RobotRow; grants: RobotGrant[]; fresh: boolean }> {
  if (controlChars.test(name)) throw new LoginError('invalid');
  const robot = await findRobotByName(db, name);
  const usable = robot && !robot.disabled && (!robot.expires_at || new Date(robot.expires_at).getTime() > Date.now());
  const fresh = await checkSecret(db, name, secret, usable ? robot.secret_hash : undefined, address);
  return { robot: robot!, grants: await listRobotGrants(db, robot!.id), fresh };
}
