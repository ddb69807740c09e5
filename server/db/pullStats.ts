import type { Queryer } from './database.js';

/** Adds pulls to repositories and stamps the pulled artifacts and tags, for one batch. */
export async function addPulls(q: Queryer, repositories: Array<[string, number]>, artifacts: Array<[string, string]>, tags: Array<[string, string]>, at: Date): Promise<void> {
  if (repositories.length) {
    await q.query(
      `UPDATE repositories r SET pull_count = r.pull_count + v.n
         FROM (SELECT unnest($1::text[]) AS name, unnest($2::bigint[]) AS n) v
        WHERE r.name = v.name`,
      [repositories.map((r) => r[0]), repositories.map((r) => r[1])],
    );
  }
  if (artifacts.length) {
    await q.query(
      `UPDATE manifests m SET pull_time = greatest(coalesce(m.pull_time, $3), $3)
         FROM (SELECT unnest($1::text[]) AS name, unnest($2::text[]) AS digest) v
         JOIN repositories r ON r.name = v.name
        WHERE m.repository_id = r.id AND m.digest = v.digest`,
      [artifacts.map((a) => a[0]), artifacts.map((a) => a[1]), at],
    );
  }
  if (tags.length) {
    await q.query(
      `UPDATE tags t SET pull_time = greatest(coalesce(t.pull_time, $3), $3)
         FROM (SELECT unnest($1::text[]) AS name, unnest($2::text[]) AS tag) v
         JOIN repositories r ON r.name = v.name
        WHERE t.repository_id = r.id AND t.name = v.tag`,
      [tags.map((t) => t[0]), tags.map((t) => t[1]), at],
    );
  }
}
