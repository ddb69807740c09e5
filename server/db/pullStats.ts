import type { Queryer } from './database.js';

/** Adds pulls to repositories and stamps the pulled artifacts and tags, for one batch. */
export async function addPulls(
  q: Queryer,
  repositories: Array<[string, number]>,
  artifacts: Array<[string, string]>,
  tags: Array<[string, string]>,
  at: Date,
): Promise<void> {
  if (repositories.length) {
    await q.query(
      `UPDATE repositories r SET pull_count = r.pull_count + v.n
         FROM (SELECT unnest($1::text[]) AS name, unnest($2::bigint[]) AS n) v
        WHERE r.name = v.name`,
      [repositories.map((r) => r[0]), repositories.map((r) => r[1])],
    );
  }
  await stampPulled(q, 'manifests', 'digest', artifacts, at);
  await stampPulled(q, 'tags', 'name', tags, at);
}

/** Sets pull_time on the rows of `table` named by (repository, key) pairs. Table and column come from the code above, never a request. */
async function stampPulled(q: Queryer, table: 'manifests' | 'tags', key: 'digest' | 'name', pairs: Array<[string, string]>, at: Date): Promise<void> {
  if (!pairs.length) return;
  await q.query(
    `UPDATE ${table} x SET pull_time = greatest(coalesce(x.pull_time, $3), $3)
       FROM (SELECT unnest($1::text[]) AS repository, unnest($2::text[]) AS key) v
       JOIN repositories r ON r.name = v.repository
      WHERE x.repository_id = r.id AND x.${key} = v.key`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1]), at],
  );
}
