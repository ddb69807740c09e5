// Login: a user's or robot's secret checked against its stored bcrypt hash, with
// throttling of failed logins per user name and per client address.
import { createHash } from 'node:crypto';
import bcrypt from 'bcrypt';
import type { Database } from '../db/database.js';
import { findRobotByName, listRobotGrants, type RobotGrant, type RobotRow } from '../db/robots.js';
import { countFailures, findUserByName, removeFailures, saveFailure, type UserRow } from '../db/users.js';
import { bcryptCost } from '../projects/passwords.js';

/** Failed logins allowed per window before refusing with 429, per user name and per address. */
export const loginLimits = { windowMs: 5 * 60_000, perUser: 10, perAddress: 50 };

export class LoginError extends Error {
  constructor(readonly reason: 'invalid' | 'throttled') {
    super(reason === 'invalid' ? 'invalid user name or password' : 'too many failed logins; try again later');
  }
}

// NOTE: a cache of successful checks, keyed by the credentials and valid only while the
// stored hash is the same; a password change anywhere changes the hash, so a node never
// accepts an old password. Spares a bcrypt (~80 ms) on every Basic-authenticated request.
const verified = new Map<string, string>();
let dummyHash: string | undefined;
const maxVerified = 10_000;

function cacheKey(username: string, password: string): string {
  return createHash('sha256').update(`${username}\0${password}`).digest('hex');
}

/**
 * Checks a secret against the stored hash of `name` (undefined: no such account, or one
 * that may not log in), with throttling per name and per address. Throws LoginError.
 * Returns whether the secret was really checked (false: this process had verified it before).
 */
async function checkSecret(db: Database, name: string, secret: string, storedHash: string | undefined, address: string): Promise<boolean> {
  const nameKey = `user:${name}`;
  const addressKey = `addr:${address}`;
  const key = cacheKey(name, secret);
  if (storedHash && verified.get(key) === storedHash) return false;
  const [byName, byAddress] = await Promise.all([countFailures(db, [nameKey], loginLimits.windowMs), countFailures(db, [addressKey], loginLimits.windowMs)]);
  if (byName >= loginLimits.perUser || byAddress >= loginLimits.perAddress) throw new LoginError('throttled');
  // Compare against a real hash even for unknown accounts, so timing does not tell who exists.
  dummyHash ??= await bcrypt.hash('no such user', bcryptCost);
  const ok = await bcrypt.compare(secret, storedHash ?? dummyHash);
  if (!storedHash || !ok) {
    await saveFailure(db, [nameKey, addressKey], loginLimits.windowMs);
    throw new LoginError('invalid');
  }
  if (verified.size >= maxVerified) verified.clear();
  verified.set(key, storedHash);
  await removeFailures(db, nameKey);
  return true;
}

/** Checks a user name and password; throws LoginError. `address` is the client's; `fresh` as checkSecret's. */
export async function authenticate(db: Database, username: string, password: string, address: string): Promise<{ user: UserRow; fresh: boolean }> {
  const user = await findUserByName(db, username);
  const fresh = await checkSecret(db, username, password, user?.password_hash, address);
  return { user: user!, fresh };
}

/** Checks a robot account's name and secret; throws LoginError (disabled and expired robots too). */
export async function authenticateRobot(
  db: Database,
  name: string,
  secret: string,
  address: string,
): Promise<{ robot: RobotRow; grants: RobotGrant[]; fresh: boolean }> {
  const robot = await findRobotByName(db, name);
  const usable = robot && !robot.disabled && (!robot.expires_at || new Date(robot.expires_at).getTime() > Date.now());
  const fresh = await checkSecret(db, name, secret, usable ? robot.secret_hash : undefined, address);
  return { robot: robot!, grants: await listRobotGrants(db, robot!.id), fresh };
}
