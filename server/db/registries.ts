import { nameTakenByAnother, pageWhereContains, type Queryer } from './database.js';

export interface RegistryRow {
  id: number;
  name: string;
  description: string;
  type: string;
  url: string;
  insecure: boolean;
  credential_type: string;
  access_key: string | null;
  access_secret_enc: string | null;
  status: string;
  created_at: Date;
  updated_at: Date;
}

const columns = 'id, name, description, type, url, insecure, credential_type, access_key, access_secret_enc, status, created_at, updated_at';

export interface RegistryFields {
  name: string;
  description: string;
  type: string;
  url: string;
  insecure: boolean;
  accessKey: string | null;
  accessSecretEnc: string | null;
}

/** Inserts a registry; undefined when the name is taken. */
export async function saveRegistry(q: Queryer, r: RegistryFields): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO registries (name, description, type, url, insecure, access_key, access_secret_enc) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT ON CONSTRAINT uq_registries_name DO NOTHING RETURNING id`,
    [r.name, r.description, r.type, r.url, r.insecure, r.accessKey, r.accessSecretEnc],
  );
  return rows[0]?.id;
}

/** Updates every field; false when the new name is taken by another registry. */
export async function updateRegistry(q: Queryer, id: number, r: RegistryFields): Promise<boolean> {
  if (await nameTakenByAnother(q, 'registries', r.name, id)) return false;
  await q.query(
    `UPDATE registries SET name = $2, description = $3, type = $4, url = $5, insecure = $6, access_key = $7, access_secret_enc = $8, updated_at = now()
      WHERE id = $1`,
    [id, r.name, r.description, r.type, r.url, r.insecure, r.accessKey, r.accessSecretEnc],
  );
  return true;
}

export async function findRegistry(q: Queryer, id: number): Promise<RegistryRow | undefined> {
  const { rows } = await q.query<RegistryRow>(`SELECT ${columns} FROM registries WHERE id = $1`, [id]);
  return rows[0];
}

export async function findRegistries(q: Queryer, ids: number[]): Promise<RegistryRow[]> {
  if (!ids.length) return [];
  const { rows } = await q.query<RegistryRow>(`SELECT ${columns} FROM registries WHERE id = ANY($1::bigint[])`, [ids]);
  return rows;
}

export async function listRegistries(
  q: Queryer,
  nameContains: string | undefined,
  limit: number,
  offset: number,
): Promise<{ rows: RegistryRow[]; total: number }> {
  return pageWhereContains<RegistryRow>(q, { table: 'registries', columns, column: 'name' }, nameContains, limit, offset);
}

export async function removeRegistry(q: Queryer, id: number): Promise<boolean> {
  const res = await q.query('DELETE FROM registries WHERE id = $1', [id]);
  return res.rowCount > 0;
}

export async function setRegistryStatus(q: Queryer, id: number, status: 'healthy' | 'unhealthy'): Promise<void> {
  await q.query('UPDATE registries SET status = $2 WHERE id = $1', [id, status]);
}
