// Garbage for the GC benchmarks: `n` small blobs whose bytes are written straight to a
// store, each linked into a repository no manifest uses and charged to its project, so a
// run with review delay 0 unlinks and deletes every one. The rows are made with SQL (the
// triggers queue the reviews as an upload's link would), so setting up is quick.
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../../server/db/database.js';

export const garbageBlobBytes = 256;

export async function seedGarbage(db: Pick<Database, 'query'>, n: number, put: (key: string, bytes: Buffer) => Promise<void>, project: string): Promise<void> {
  const digests: string[] = [];
  let next = 0;
  const one = async () => {
    while (next < n) {
      next++;
      const bytes = randomBytes(garbageBlobBytes);
      const hex = createHash('sha256').update(bytes).digest('hex');
      digests.push(`sha256:${hex}`);
      await put(`blobs/sha256/${hex.slice(0, 2)}/${hex}`, bytes);
    }
  };
  await Promise.all(Array.from({ length: 64 }, one));
  await db.query(`INSERT INTO projects (name, public) VALUES ($1, false) ON CONFLICT DO NOTHING`, [project]);
  await db.query(`INSERT INTO repositories (name) VALUES ($1) ON CONFLICT DO NOTHING`, [`${project}/garbage`]);
  const repo = `(SELECT id FROM repositories WHERE name = $2)`;
  const proj = `(SELECT id FROM projects WHERE name = $2)`;
  await db.query(`INSERT INTO blobs (digest, size) SELECT unnest($1::text[]), ${garbageBlobBytes}`, [digests]);
  await db.query(`INSERT INTO repository_blobs (repository_id, digest) SELECT ${repo}, unnest($1::text[])`, [digests, `${project}/garbage`]);
  await db.query(`INSERT INTO project_blobs (project_id, digest, size) SELECT ${proj}, unnest($1::text[]), ${garbageBlobBytes}`, [digests, project]);
  await db.query(`UPDATE projects SET storage_used = storage_used + $1 WHERE name = $2`, [n * garbageBlobBytes, project]);
  await db.query('VACUUM ANALYZE');
}
