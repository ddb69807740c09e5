// Secrets Berth must be able to read back (the passwords of remote registries) are sealed
// with AES-256-GCM. The key comes from BERTH_SECRET_KEY, or from a key file created at the
// first start under the data directory (mode 0600). The key never goes into the database:
// a dump or a backup of it holds only ciphertext.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const version = 'v1';

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
  /** A short fingerprint of the key, to tell keys apart in logs without showing them. */
  readonly keyId: string;
}

export function secretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new SecretBoxError('the secret key must be 32 bytes');
  const keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  return {
    keyId,
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${version}:${keyId}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
    },
    open(sealed) {
      const [v, id, data] = sealed.split(':');
      if (v !== version || !data) throw new SecretBoxError('not a sealed secret');
      if (id !== keyId)
        throw new SecretBoxError(`sealed with another key (${id}); this server's key is ${keyId}: set the same BERTH_SECRET_KEY on every server`);
      const raw = Buffer.from(data, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      try {
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretBoxError('a sealed secret failed its integrity check');
      }
    },
  };
}

/** BERTH_SECRET_KEY as 64 hex digits or 44 base64 characters (32 bytes). */
export function parseSecretKey(text: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new SecretBoxError('must be 32 bytes as 64 hex digits or base64 (openssl rand -base64 32)');
  return key;
}

/** The configured key, or the data directory's key file (created once, readable by the owner only). */
export function loadSecretKey(configured: string | undefined, dataDir: string): Buffer {
  if (configured) return parseSecretKey(configured);
  const file = path.join(dataDir, 'secret.key');
  try {
    return parseSecretKey(readFileSync(file, 'utf8').trim());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  try {
    // 'wx': two processes starting at once never overwrite each other's key.
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return parseSecretKey(readFileSync(file, 'utf8').trim());
}
