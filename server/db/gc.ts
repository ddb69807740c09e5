// SQL of garbage collection (docs/design/0015): the review queues the triggers of migration
// 0015 fill, and the locks and checks the collector makes. Each check is its own statement
// after the lock it depends on, so it reads with a snapshot taken after the lock was granted.
import type { Queryer } from './database.js';

export type Queue = 'manifest' | 'link' | 'blob';

export interface ManifestReview {
  manifest_id: number;
  repository_id: number;
}

export interface LinkReview {
  repository_id: number;
  digest: string;
}

/** Due manifest reviews, locked for this transaction; other collectors skip them. */
export async function takeManifestReviews(q: Queryer, dueBefore: Date, limit: number): Promise<ManifestReview[]> {
  const { rows } = await q.query<ManifestReview>(
    `SELECT manifest_id, repository_id FROM gc_manifest_reviews WHERE queued_at <= $1 ORDER BY queued_at, manifest_id LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [dueBefore, limit],
  );
  return rows;
}

export async function takeLinkReviews(q: Queryer, dueBefore: Date, limit: number): Promise<LinkReview[]> {
  const { rows } = await q.query<LinkReview>(
    `SELECT repository_id, digest FROM gc_link_reviews WHERE queued_at <= $1 ORDER BY queued_at, repository_id, digest LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [dueBefore, limit],
  );
  return rows;
}

export async function takeBlobReviews(q: Queryer, dueBefore: Date, limit: number): Promise<string[]> {
  const { rows } = await q.query<{ digest: string }>(
    `SELECT digest FROM gc_blob_reviews WHERE queued_at <= $1 ORDER BY queued_at, digest LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [dueBefore, limit],
  );
  return rows.map((r) => r.digest);
}

export interface GcManifest {
  id: number;
  repository: string;
  digest: string;
  size: number;
}

/** Locks the manifests (skipping those a push holds); returns the locked and those that exist but are held. */
export async function lockManifests(q: Queryer, ids: number[]): Promise<{ locked: number[]; held: number[] }> {
  const { rows } = await q.query<{ id: number }>('SELECT id FROM manifests WHERE id = ANY($1::bigint[]) FOR UPDATE SKIP LOCKED', [ids]);
  const locked = rows.map((r) => Number(r.id));
  const rest = ids.filter((id) => !locked.includes(id));
  if (!rest.length) return { locked, held: [] };
  const exist = await q.query<{ id: number }>('SELECT id FROM manifests WHERE id = ANY($1::bigint[])', [rest]);
  return { locked, held: exist.rows.map((r) => Number(r.id)) };
}

/**
 * Of the locked manifests, those nothing keeps: no tag, no index of their repository
 * listing them, and not a referrer whose subject is in their repository.
 */
export async function unkeptManifests(q: Queryer, ids: number[]): Promise<GcManifest[]> {
  if (!ids.length) return [];
  const { rows } = await q.query<GcManifest>(
    `SELECT m.id, r.name AS repository, m.digest, octet_length(m.payload)::bigint AS size
       FROM manifests m JOIN repositories r ON r.id = m.repository_id
      WHERE m.id = ANY($1::bigint[])
        AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)
        AND NOT EXISTS (SELECT 1 FROM manifest_children c JOIN manifests p ON p.id = c.parent_id
                         WHERE c.child_digest = m.digest AND p.repository_id = m.repository_id AND p.id <> m.id)
        AND NOT (m.subject_digest IS NOT NULL
                 AND EXISTS (SELECT 1 FROM manifests s WHERE s.repository_id = m.repository_id AND s.digest = m.subject_digest))
      ORDER BY m.id`,
    [ids],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), size: Number(r.size) }));
}

export async function deleteManifests(q: Queryer, ids: number[]): Promise<void> {
  if (ids.length) await q.query('DELETE FROM manifests WHERE id = ANY($1::bigint[])', [ids]);
}

/** Locks each project that owns one of these repositories (in id order, as pushes lock one). */
export async function lockProjectsOf(q: Queryer, repositoryIds: number[]): Promise<void> {
  await q.query(
    `SELECT p.id FROM projects p
      WHERE p.name IN (SELECT split_part(r.name, '/', 1) FROM repositories r WHERE r.id = ANY($1::bigint[]))
      ORDER BY p.id FOR UPDATE`,
    [repositoryIds],
  );
}

const linkPairs = `SELECT unnest($1::bigint[]) AS repository_id, unnest($2::text[]) AS digest`;

function pairArgs(links: LinkReview[]): [number[], string[]] {
  return [links.map((l) => l.repository_id), links.map((l) => l.digest)];
}

export async function lockLinks(q: Queryer, links: LinkReview[]): Promise<{ locked: LinkReview[]; held: LinkReview[] }> {
  if (!links.length) return { locked: [], held: [] };
  const { rows } = await q.query<LinkReview>(
    `SELECT rb.repository_id, rb.digest FROM repository_blobs rb JOIN (${linkPairs}) x USING (repository_id, digest) FOR UPDATE OF rb SKIP LOCKED`,
    pairArgs(links),
  );
  const key = (l: LinkReview) => `${l.repository_id} ${l.digest}`;
  const locked = rows.map((r) => ({ repository_id: Number(r.repository_id), digest: r.digest }));
  const got = new Set(locked.map(key));
  const rest = links.filter((l) => !got.has(key(l)));
  if (!rest.length) return { locked, held: [] };
  const exist = await q.query<LinkReview>(
    `SELECT rb.repository_id, rb.digest FROM repository_blobs rb JOIN (${linkPairs}) x USING (repository_id, digest)`,
    pairArgs(rest),
  );
  return { locked, held: exist.rows.map((r) => ({ repository_id: Number(r.repository_id), digest: r.digest })) };
}

export interface GcLink extends LinkReview {
  repository: string;
  size: number;
}

/** Of the locked links, those no manifest of their repository references. */
export async function unreferencedLinks(q: Queryer, links: LinkReview[]): Promise<GcLink[]> {
  if (!links.length) return [];
  const { rows } = await q.query<GcLink>(
    `SELECT x.repository_id, x.digest, r.name AS repository, b.size
       FROM (${linkPairs}) x
       JOIN repositories r ON r.id = x.repository_id
       JOIN blobs b ON b.digest = x.digest
      WHERE NOT EXISTS (SELECT 1 FROM manifest_blobs mb JOIN manifests m ON m.id = mb.manifest_id
                         WHERE mb.digest = x.digest AND m.repository_id = x.repository_id)
      ORDER BY x.repository_id, x.digest`,
    pairArgs(links),
  );
  return rows.map((r) => ({ ...r, repository_id: Number(r.repository_id), size: Number(r.size) }));
}

/**
 * Deletes the links, and each project's charge for a digest none of its repositories links
 * any more; the project's usage drops by exactly those sizes. The caller holds the projects' locks.
 */
export async function deleteLinks(q: Queryer, links: LinkReview[]): Promise<Array<{ project: string; digest: string; size: number }>> {
  if (!links.length) return [];
  await q.query(`DELETE FROM repository_blobs rb USING (${linkPairs}) x WHERE rb.repository_id = x.repository_id AND rb.digest = x.digest`, pairArgs(links));
  const { rows } = await q.query<{ project: string; digest: string; size: number }>(
    `WITH gone AS (
       SELECT DISTINCT p.id AS project_id, p.name, x.digest
         FROM (${linkPairs}) x
         JOIN repositories r ON r.id = x.repository_id
         JOIN projects p ON p.name = split_part(r.name, '/', 1)),
     released AS (
       DELETE FROM project_blobs pb USING gone g
        WHERE pb.project_id = g.project_id AND pb.digest = g.digest
          AND NOT EXISTS (SELECT 1 FROM repository_blobs rb JOIN repositories r2 ON r2.id = rb.repository_id
                           WHERE rb.digest = g.digest AND split_part(r2.name, '/', 1) = g.name)
       RETURNING pb.project_id, pb.digest, pb.size),
     usage AS (
       UPDATE projects p SET storage_used = p.storage_used - s.total
         FROM (SELECT project_id, sum(size)::bigint AS total FROM released GROUP BY project_id) s
        WHERE p.id = s.project_id)
     SELECT p.name AS project, rl.digest, rl.size FROM released rl JOIN projects p ON p.id = rl.project_id ORDER BY 1, 2`,
    pairArgs(links),
  );
  return rows.map((r) => ({ ...r, size: Number(r.size) }));
}

/** Locks the blob rows (skipping those an upload or mount holds); returns the locked and those held. */
export async function lockBlobs(q: Queryer, digests: string[]): Promise<{ locked: string[]; held: string[] }> {
  if (!digests.length) return { locked: [], held: [] };
  const { rows } = await q.query<{ digest: string }>('SELECT digest FROM blobs WHERE digest = ANY($1::text[]) FOR UPDATE SKIP LOCKED', [digests]);
  const locked = rows.map((r) => r.digest);
  const rest = digests.filter((d) => !locked.includes(d));
  if (!rest.length) return { locked, held: [] };
  const exist = await q.query<{ digest: string }>('SELECT digest FROM blobs WHERE digest = ANY($1::text[])', [rest]);
  return { locked, held: exist.rows.map((r) => r.digest) };
}

/** Of the locked blobs, those no repository links (and, to be sure, no manifest references). */
export async function unlinkedBlobs(q: Queryer, digests: string[]): Promise<Array<{ digest: string; size: number }>> {
  if (!digests.length) return [];
  const { rows } = await q.query<{ digest: string; size: number }>(
    `SELECT b.digest, b.size FROM blobs b
      WHERE b.digest = ANY($1::text[])
        AND NOT EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.digest = b.digest)
        AND NOT EXISTS (SELECT 1 FROM manifest_blobs mb WHERE mb.digest = b.digest)
      ORDER BY b.digest`,
    [digests],
  );
  return rows.map((r) => ({ ...r, size: Number(r.size) }));
}

export async function deleteBlobRows(q: Queryer, digests: string[]): Promise<void> {
  if (digests.length) await q.query('DELETE FROM blobs WHERE digest = ANY($1::text[])', [digests]);
}

/** Ends these reviews (whatever was decided); a later event queues them again. */
export async function endManifestReviews(q: Queryer, ids: number[]): Promise<void> {
  if (ids.length) await q.query('DELETE FROM gc_manifest_reviews WHERE manifest_id = ANY($1::bigint[])', [ids]);
}

export async function endLinkReviews(q: Queryer, links: LinkReview[]): Promise<void> {
  if (links.length)
    await q.query(`DELETE FROM gc_link_reviews g USING (${linkPairs}) x WHERE g.repository_id = x.repository_id AND g.digest = x.digest`, pairArgs(links));
}

export async function endBlobReviews(q: Queryer, digests: string[]): Promise<void> {
  if (digests.length) await q.query('DELETE FROM gc_blob_reviews WHERE digest = ANY($1::text[])', [digests]);
}

/** Postpones reviews of what a push holds now: due again after the delay, not in this run. */
export async function postponeManifestReviews(q: Queryer, ids: number[]): Promise<void> {
  if (ids.length) await q.query('UPDATE gc_manifest_reviews SET queued_at = now() WHERE manifest_id = ANY($1::bigint[])', [ids]);
}

export async function postponeLinkReviews(q: Queryer, links: LinkReview[]): Promise<void> {
  if (links.length)
    await q.query(
      `UPDATE gc_link_reviews g SET queued_at = now() FROM (${linkPairs}) x WHERE g.repository_id = x.repository_id AND g.digest = x.digest`,
      pairArgs(links),
    );
}

export async function postponeBlobReviews(q: Queryer, digests: string[]): Promise<void> {
  if (digests.length) await q.query('UPDATE gc_blob_reviews SET queued_at = now() WHERE digest = ANY($1::text[])', [digests]);
}

/** How many reviews each queue holds, and how many are due before `dueBefore`. */
export async function queueDepths(q: Queryer, dueBefore: Date): Promise<Record<Queue, { queued: number; due: number }>> {
  const { rows } = await q.query<{ queue: Queue; queued: number; due: number }>(
    `SELECT 'manifest' AS queue, count(*)::int AS queued, count(*) FILTER (WHERE queued_at <= $1)::int AS due FROM gc_manifest_reviews
     UNION ALL SELECT 'link', count(*)::int, count(*) FILTER (WHERE queued_at <= $1)::int FROM gc_link_reviews
     UNION ALL SELECT 'blob', count(*)::int, count(*) FILTER (WHERE queued_at <= $1)::int FROM gc_blob_reviews`,
    [dueBefore],
  );
  return Object.fromEntries(rows.map((r) => [r.queue, { queued: r.queued, due: r.due }])) as Record<Queue, { queued: number; due: number }>;
}
