import type { Queryer } from './database.js';

export interface ManifestRow {
  id: number;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  subject_digest: string | null;
  annotations: Record<string, string> | null;
  payload: Buffer;
}

export interface NewManifest {
  repositoryId: number;
  digest: string;
  mediaType: string;
  artifactType?: string;
  subjectDigest?: string;
  annotations?: Record<string, string>;
  payload: Buffer;
  blobDigests: string[];
  childDigests: string[];
}

const columns = 'm.id, m.digest, m.media_type, m.artifact_type, m.subject_digest, m.annotations, m.payload';

export async function findManifestByTag(q: Queryer, repositoryName: string, tag: string): Promise<ManifestRow | undefined> {
  const { rows } = await q.query<ManifestRow>(
    `SELECT ${columns} FROM repositories r
       JOIN tags t ON t.repository_id = r.id AND t.name = $2
       JOIN manifests m ON m.id = t.manifest_id
      WHERE r.name = $1`,
    [repositoryName, tag],
  );
  return rows[0];
}

export async function findManifestByDigest(q: Queryer, repositoryName: string, digest: string): Promise<ManifestRow | undefined> {
  const { rows } = await q.query<ManifestRow>(
    `SELECT ${columns} FROM repositories r
       JOIN manifests m ON m.repository_id = r.id AND m.digest = $2
      WHERE r.name = $1`,
    [repositoryName, digest],
  );
  return rows[0];
}

/** Which of `digests` are manifests of the repository; locks them against a concurrent delete. */
export async function lockManifestDigests(q: Queryer, repositoryId: number, digests: string[]): Promise<Set<string>> {
  if (!digests.length) return new Set();
  const { rows } = await q.query<{ digest: string }>('SELECT digest FROM manifests WHERE repository_id = $1 AND digest = ANY($2::text[]) FOR SHARE', [
    repositoryId,
    digests,
  ]);
  return new Set(rows.map((r) => r.digest));
}

/** Inserts the manifest with its references, or returns the id of the identical one already stored. */
export async function saveManifest(q: Queryer, m: NewManifest): Promise<number> {
  let id: number;
  for (;;) {
    const inserted = await q.query<{ id: number }>(
      `INSERT INTO manifests (repository_id, digest, media_type, artifact_type, subject_digest, annotations, payload)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT ON CONSTRAINT uq_manifests_repository_digest DO NOTHING
       RETURNING id`,
      [m.repositoryId, m.digest, m.mediaType, m.artifactType ?? null, m.subjectDigest ?? null, m.annotations ? JSON.stringify(m.annotations) : null, m.payload],
    );
    if (inserted.rows.length) {
      id = inserted.rows[0].id;
      break;
    }
    // NOTE: the stored one is held (FOR KEY SHARE) for the tag about to point at it; when
    // garbage collection deleted it meanwhile, it is stored again.
    const existing = await lockManifest(q, m.repositoryId, m.digest);
    if (existing !== undefined) return existing;
  }
  if (m.blobDigests.length) {
    await q.query('INSERT INTO manifest_blobs (manifest_id, digest) SELECT $1, unnest($2::text[]) ON CONFLICT ON CONSTRAINT pk_manifest_blobs DO NOTHING', [
      id,
      [...new Set(m.blobDigests)],
    ]);
  }
  if (m.childDigests.length) {
    await q.query(
      'INSERT INTO manifest_children (parent_id, child_digest) SELECT $1, unnest($2::text[]) ON CONFLICT ON CONSTRAINT pk_manifest_children DO NOTHING',
      [id, [...new Set(m.childDigests)]],
    );
  }
  return id;
}

/** Holds a stored manifest against garbage collection until the transaction ends; its id. */
export async function lockManifest(q: Queryer, repositoryId: number, digest: string): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>('SELECT id FROM manifests WHERE repository_id = $1 AND digest = $2 FOR KEY SHARE', [repositoryId, digest]);
  return rows[0]?.id;
}

/** Locks a stored manifest against every writer (tag pushes, index pushes) until the transaction ends; its id. */
export async function lockManifestForDelete(q: Queryer, repositoryId: number, digest: string): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>('SELECT id FROM manifests WHERE repository_id = $1 AND digest = $2 FOR UPDATE', [repositoryId, digest]);
  return rows[0]?.id;
}

export async function removeManifest(q: Queryer, repositoryId: number, digest: string): Promise<boolean> {
  const res = await q.query('DELETE FROM manifests WHERE repository_id = $1 AND digest = $2', [repositoryId, digest]);
  return res.rowCount > 0;
}

export interface ReferrerRow {
  digest: string;
  media_type: string;
  artifact_type: string | null;
  annotations: Record<string, string> | null;
  size: number;
}

export async function listReferrers(q: Queryer, repositoryName: string, subjectDigest: string, artifactType?: string): Promise<ReferrerRow[]> {
  const { rows } = await q.query<ReferrerRow>(
    `SELECT m.digest, m.media_type, m.artifact_type, m.annotations, octet_length(m.payload)::bigint AS size
       FROM repositories r
       JOIN manifests m ON m.repository_id = r.id AND m.subject_digest = $2
      WHERE r.name = $1 AND ($3::text IS NULL OR m.artifact_type = $3)
      ORDER BY m.created_at, m.id`,
    [repositoryName, subjectDigest, artifactType ?? null],
  );
  return rows;
}

export interface ArtifactRow {
  id: number;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  subject_digest: string | null;
  annotations: Record<string, string> | null;
  payload: Buffer;
  created_at: Date;
  pull_time: Date | null;
  blobs_size: number;
  children_size: number;
  tags: Array<{ id: number; name: string; push_time: string; pull_time: string | null }> | null;
}

const artifactColumns = `m.id, m.digest, m.media_type, m.artifact_type, m.subject_digest, m.annotations, m.payload, m.created_at, m.pull_time,
  COALESCE((SELECT sum(b.size) FROM manifest_blobs mb JOIN blobs b ON b.digest = mb.digest WHERE mb.manifest_id = m.id), 0)::bigint AS blobs_size,
  COALESCE((SELECT sum(octet_length(c.payload)) FROM manifest_children mc JOIN manifests c ON c.repository_id = m.repository_id AND c.digest = mc.child_digest WHERE mc.parent_id = m.id), 0)::bigint AS children_size,
  (SELECT json_agg(json_build_object('id', t.id, 'name', t.name, 'push_time', t.updated_at, 'pull_time', t.pull_time) ORDER BY t.name) FROM tags t WHERE t.manifest_id = m.id) AS tags`;

/** One page of a repository's artifacts (manifests), newest first, and the total. */
export async function listArtifacts(q: Queryer, repositoryId: number, limit: number, offset: number): Promise<{ rows: ArtifactRow[]; total: number }> {
  const total = (await q.query<{ n: number }>('SELECT count(*)::int AS n FROM manifests WHERE repository_id = $1', [repositoryId])).rows[0].n;
  const { rows } = await q.query<ArtifactRow>(
    `SELECT ${artifactColumns} FROM manifests m WHERE m.repository_id = $1 ORDER BY m.created_at DESC, m.id DESC LIMIT $2 OFFSET $3`,
    [repositoryId, limit, offset],
  );
  return { rows, total };
}

export async function findArtifact(q: Queryer, repositoryId: number, digest: string | undefined, tag: string | undefined): Promise<ArtifactRow | undefined> {
  const { rows } = await q.query<ArtifactRow>(
    `SELECT ${artifactColumns} FROM manifests m
      WHERE m.repository_id = $1 AND (($2::text IS NOT NULL AND m.digest = $2)
         OR ($3::text IS NOT NULL AND m.id = (SELECT manifest_id FROM tags WHERE repository_id = $1 AND name = $3)))`,
    [repositoryId, digest ?? null, tag ?? null],
  );
  return rows[0];
}

export interface LocalArtifact {
  repository: string;
  digest: string;
  artifact_type: string | null;
  tags: string[];
}

/**
 * The artifacts of these repositories a copy starts from: each with its tags, leaving out
 * referrers (they travel with their subject) and untagged children of an index (they
 * travel with their parent).
 */
export async function localArtifacts(q: Queryer, repositories: string[]): Promise<LocalArtifact[]> {
  if (!repositories.length) return [];
  const { rows } = await q.query<LocalArtifact>(
    `SELECT r.name AS repository, m.digest, m.artifact_type,
            coalesce(array_agg(t.name ORDER BY t.name) FILTER (WHERE t.name IS NOT NULL), '{}') AS tags
       FROM repositories r
       JOIN manifests m ON m.repository_id = r.id
       LEFT JOIN tags t ON t.manifest_id = m.id
      WHERE r.name = ANY($1::text[]) AND m.subject_digest IS NULL
      GROUP BY r.name, m.id
     HAVING count(t.name) > 0
         OR NOT EXISTS (SELECT 1 FROM manifest_children c JOIN manifests p ON p.id = c.parent_id
                         WHERE p.repository_id = m.repository_id AND c.child_digest = m.digest)
      ORDER BY r.name, m.id`,
    [repositories],
  );
  return rows;
}
