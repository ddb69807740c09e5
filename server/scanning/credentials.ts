// The registry credential a scan hands its adapter: Basic robot-style credentials that pull
// from the one repository being scanned and nothing else, valid while the scan is in
// progress and at most `ttl`. The secret is random; only its SHA-256 is stored, on the task
// row, and ending or stopping the task voids it. Its name cannot be any robot's or user's:
// robot names never hold "~", and user names are never looked up with the robot prefix.
import { createHash, randomBytes } from 'node:crypto';
import type { Queryer } from '../db/database.js';
import { findScanCredential, setScanCredential } from '../db/scans.js';
import { sameSecret } from '../lib/sameSecret.js';
import { robotPrefix } from '../projects/passwords.js';

const scanPrefix = `${robotPrefix}scan~`;

const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');

export async function issueScanCredential(q: Queryer, taskId: number, ttlMs: number): Promise<{ username: string; password: string }> {
  const password = randomBytes(32).toString('base64url');
  await setScanCredential(q, taskId, hashOf(password), new Date(Date.now() + ttlMs));
  return { username: `${scanPrefix}${taskId}`, password };
}

export function isScanCredentialName(name: string): boolean {
  return name.startsWith(scanPrefix);
}

/** The repository a live scan credential may pull from, or undefined when it is not (or no longer) valid. */
export async function verifyScanCredential(q: Queryer, username: string, password: string): Promise<string | undefined> {
  const id = username.slice(scanPrefix.length);
  if (!isScanCredentialName(username) || !/^\d{1,15}$/.test(id)) return undefined;
  const found = await findScanCredential(q, Number(id));
  return found && sameSecret(found.hash, hashOf(password)) ? found.repository : undefined;
}
