import type { Queryer } from './database.js';

export interface SigningKeyRow {
  id: number;
  project_id: number;
  name: string;
  algorithm: string;
  public_key_pem: string;
  fingerprint: string;
  created_at: Date;
}

const columns = 'id, project_id, name, algorithm, public_key_pem, fingerprint, created_at';

export async function listSigningKeys(q: Queryer, projectId: number): Promise<SigningKeyRow[]> {
  const { rows } = await q.query<SigningKeyRow>(`SELECT ${columns} FROM project_signing_keys WHERE project_id = $1 ORDER BY id`, [projectId]);
  return rows;
}

/** Adds a key and moves the project's keys_version; undefined when the name or the key is already there. */
export async function saveSigningKey(
  q: Queryer,
  k: { projectId: number; name: string; algorithm: string; pem: string; fingerprint: string },
): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO project_signing_keys (project_id, name, algorithm, public_key_pem, fingerprint) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT DO NOTHING RETURNING id`,
    [k.projectId, k.name, k.algorithm, k.pem, k.fingerprint],
  );
  if (rows[0]) await bumpKeysVersion(q, k.projectId);
  return rows[0]?.id;
}

export async function removeSigningKey(q: Queryer, projectId: number, id: number): Promise<SigningKeyRow | undefined> {
  const { rows } = await q.query<SigningKeyRow>(`DELETE FROM project_signing_keys WHERE project_id = $1 AND id = $2 RETURNING ${columns}`, [projectId, id]);
  if (rows[0]) await bumpKeysVersion(q, projectId);
  return rows[0];
}

async function bumpKeysVersion(q: Queryer, projectId: number): Promise<void> {
  await q.query('UPDATE projects SET keys_version = keys_version + 1 WHERE id = $1', [projectId]);
}

export interface SignatureCandidate {
  /** The signed manifest's digest: the one pulled, or an index listing it. */
  signed: string;
  /** A manifest that may carry a cosign signature of it. */
  id: number;
  digest: string;
  payload: Buffer;
  /** The project's keys_version when the candidates were read. */
  keys_version: number;
}

/**
 * The manifests that may sign `digest` in this repository, or an index of the repository
 * that lists it: its referrers, and what the cosign tag `sha256-<hex>.sig` names.
 */
export async function signatureCandidates(q: Queryer, repositoryName: string, digest: string): Promise<SignatureCandidate[]> {
  const { rows } = await q.query<SignatureCandidate>(
    `WITH repo AS (SELECT id FROM repositories WHERE name = $1),
     signed AS (
       SELECT $2::text AS digest
       UNION SELECT p.digest FROM manifests p JOIN manifest_children c ON c.parent_id = p.id
        WHERE p.repository_id = (SELECT id FROM repo) AND c.child_digest = $2)
     SELECT s.digest AS signed, m.id, m.digest, m.payload, (SELECT keys_version FROM projects WHERE name = split_part($1, '/', 1)) AS keys_version FROM signed s
       JOIN manifests m ON m.repository_id = (SELECT id FROM repo) AND m.subject_digest = s.digest
     UNION
     SELECT s.digest, m.id, m.digest, m.payload, (SELECT keys_version FROM projects WHERE name = split_part($1, '/', 1)) FROM signed s
       JOIN tags t ON t.repository_id = (SELECT id FROM repo) AND t.name = replace(s.digest, ':', '-') || '.sig'
       JOIN manifests m ON m.id = t.manifest_id
     ORDER BY 2`,
    [repositoryName, digest],
  );
  return rows;
}
