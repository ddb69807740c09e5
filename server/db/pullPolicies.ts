import type { Queryer } from './database.js';

export interface PullPolicyRow {
  id: number;
  prevent_vul: boolean;
  severity: string;
  require_signature: boolean;
}

/** What the pull gate needs of a project: its id, its vulnerability policy and whether pulls need a signature. */
export async function findPullPolicy(q: Queryer, projectName: string): Promise<PullPolicyRow | undefined> {
  const { rows } = await q.query<PullPolicyRow>('SELECT id, prevent_vul, severity, require_signature FROM projects WHERE name = $1', [projectName]);
  return rows[0];
}
