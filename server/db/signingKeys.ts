import type { Queryer } from './database.js';

export interface SigningKeyRow {
  kid: string;
  private_key_pem: string;
  public_key_pem: string;
}

export async function listSigningKeys(q: Queryer): Promise<SigningKeyRow[]> {
  const { rows } = await q.query<SigningKeyRow>('SELECT kid, private_key_pem, public_key_pem FROM signing_keys ORDER BY created_at DESC');
  return rows;
}

export async function saveSigningKey(q: Queryer, k: SigningKeyRow): Promise<void> {
  await q.query('INSERT INTO signing_keys (kid, private_key_pem, public_key_pem) VALUES ($1, $2, $3)', [k.kid, k.private_key_pem, k.public_key_pem]);
}
