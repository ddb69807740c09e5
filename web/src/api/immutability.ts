// A project's tag immutability rules: the paths and the query key (['immutable', project]).
import type { ImmutableRuleView } from '@berth/api-types';
import { del, getJson, post, put } from './client';

export interface ImmutableRuleBody {
  disabled: boolean;
  tag_selectors: Array<{ kind: 'doublestar'; decoration: 'matches' | 'excludes'; pattern: string }>;
  scope_selectors: { repository: Array<{ kind: 'doublestar'; decoration: 'repoMatches' | 'repoExcludes'; pattern: string }> };
}

const rulesPath = (project: string) => `/projects/${encodeURIComponent(project)}/immutabletagrules`;

export const immutableKeys = { project: (project: string) => ['immutable', project] as const };

export function listImmutableRules(project: string) {
  return getJson<ImmutableRuleView[]>(rulesPath(project));
}

export function createImmutableRule(project: string, body: ImmutableRuleBody) {
  return post(rulesPath(project), body);
}

export function updateImmutableRule(project: string, id: number, body: ImmutableRuleBody) {
  return put(`${rulesPath(project)}/${id}`, body);
}

export function deleteImmutableRule(project: string, id: number) {
  return del(`${rulesPath(project)}/${id}`);
}

/** The body that stands for a rule as the API returned it (for an edit of one field). */
export function bodyOf(r: ImmutableRuleView): ImmutableRuleBody {
  return { disabled: r.disabled, tag_selectors: r.tag_selectors, scope_selectors: r.scope_selectors };
}
