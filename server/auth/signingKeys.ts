// The token signing keys, shared by every node through the database. The first start
// creates one (under the migration lock, so several nodes starting together agree).
import type { Queryer } from '../db/database.js';
import { listSigningKeys, saveSigningKey } from '../db/signingKeys.js';
import { generateSigningKey, type SigningKey } from './tokens.js';

export async function ensureSigningKey(q: Queryer): Promise<void> {
  if ((await listSigningKeys(q)).length) return;
  const k = generateSigningKey();
  await saveSigningKey(q, { kid: k.kid, private_key_pem: k.privateKeyPem, public_key_pem: k.publicKeyPem });
}

/** Signing key first (the newest), then every key still accepted for verification. */
export async function loadSigningKeys(q: Queryer): Promise<SigningKey[]> {
  const rows = await listSigningKeys(q);
  if (!rows.length) throw new Error('no token signing key: the primary creates one at start');
  return rows.map((r) => ({ kid: r.kid, privateKeyPem: r.private_key_pem, publicKeyPem: r.public_key_pem }));
}
