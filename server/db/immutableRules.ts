// SQL of tag immutability rules (migration 0016).
import type { Queryer } from './database.js';

export interface ImmutableRuleRow {
  id: number;
  project_id: number;
  disabled: boolean;
  priority: number;
  repo_decoration: 'repoMatches' | 'repoExcludes';
  repo_pattern: string;
  tag_decoration: 'matches' | 'excludes';
  tag_pattern: string;
}

export type ImmutableRuleFields = Omit<ImmutableRuleRow, 'id' | 'project_id'>;

const columns = 'id, project_id, disabled, priority, repo_decoration, repo_pattern, tag_decoration, tag_pattern';
const fromRow = (r: ImmutableRuleRow): ImmutableRuleRow => ({ ...r, id: Number(r.id), project_id: Number(r.project_id) });

export async function listImmutableRules(q: Queryer, projectId: number): Promise<ImmutableRuleRow[]> {
  const { rows } = await q.query<ImmutableRuleRow>(`SELECT ${columns} FROM immutable_tag_rules WHERE project_id = $1 ORDER BY priority, id`, [projectId]);
  return rows.map(fromRow);
}

/** The enabled rules of the project a repository belongs to (by its name's first part). */
export async function enabledRulesOfRepository(q: Queryer, repository: string): Promise<ImmutableRuleRow[]> {
  const { rows } = await q.query<ImmutableRuleRow>(
    `SELECT ${columns} FROM immutable_tag_rules WHERE NOT disabled AND project_id = (SELECT id FROM projects WHERE name = split_part($1, '/', 1))
      ORDER BY priority, id`,
    [repository],
  );
  return rows.map(fromRow);
}

/** The new rule's id; undefined when the project has one with the same selectors. */
export async function saveImmutableRule(q: Queryer, projectId: number, f: ImmutableRuleFields): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO immutable_tag_rules (project_id, disabled, priority, repo_decoration, repo_pattern, tag_decoration, tag_pattern)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT ON CONSTRAINT uq_immutable_tag_rules_selectors DO NOTHING RETURNING id`,
    [projectId, f.disabled, f.priority, f.repo_decoration, f.repo_pattern, f.tag_decoration, f.tag_pattern],
  );
  return rows[0] ? Number(rows[0].id) : undefined;
}

export async function updateImmutableRule(q: Queryer, projectId: number, id: number, f: ImmutableRuleFields): Promise<boolean> {
  const res = await q.query(
    `UPDATE immutable_tag_rules SET disabled = $3, priority = $4, repo_decoration = $5, repo_pattern = $6, tag_decoration = $7, tag_pattern = $8, updated_at = now()
      WHERE project_id = $1 AND id = $2`,
    [projectId, id, f.disabled, f.priority, f.repo_decoration, f.repo_pattern, f.tag_decoration, f.tag_pattern],
  );
  return res.rowCount > 0;
}

export async function removeImmutableRule(q: Queryer, projectId: number, id: number): Promise<boolean> {
  const res = await q.query('DELETE FROM immutable_tag_rules WHERE project_id = $1 AND id = $2', [projectId, id]);
  return res.rowCount > 0;
}

export async function countImmutableRules(q: Queryer, projectId: number): Promise<number> {
  const { rows } = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM immutable_tag_rules WHERE project_id = $1', [projectId]);
  return rows[0].n;
}
