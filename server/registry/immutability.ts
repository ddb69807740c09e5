// Tag immutability (Harbor's rules): a tag a project's enabled rule selects may be pushed
// once and then never moved to another manifest nor deleted, and the manifest it names
// cannot be deleted. Every tag and manifest write goes through registry/tags.ts or
// registry/manifests.ts, which ask here first, inside their transaction.
import type { Queryer } from '../db/database.js';
import { enabledRulesOfRepository, type ImmutableRuleRow } from '../db/immutableRules.js';
import { RegistryError } from '../lib/registryErrors.js';
import { glob, repositoryWithinProject } from './selectors.js';

export function ruleSelects(
  rule: Pick<ImmutableRuleRow, 'repo_decoration' | 'repo_pattern' | 'tag_decoration' | 'tag_pattern'>,
  repository: string,
  tag: string,
): boolean {
  const repoHit = glob(rule.repo_pattern)(repositoryWithinProject(repository));
  const tagHit = glob(rule.tag_pattern)(tag);
  return (rule.repo_decoration === 'repoMatches' ? repoHit : !repoHit) && (rule.tag_decoration === 'matches' ? tagHit : !tagHit);
}

/** The first rule (by priority) that makes the tag immutable, if any. */
export function immutableBy(rules: ImmutableRuleRow[], repository: string, tag: string): ImmutableRuleRow | undefined {
  return rules.find((r) => !r.disabled && ruleSelects(r, repository, tag));
}

/** The first of `tags` a rule makes immutable, with the rule. */
export function firstImmutable(rules: ImmutableRuleRow[], repository: string, tags: string[]): { tag: string; rule: ImmutableRuleRow } | undefined {
  for (const tag of tags) {
    const rule = immutableBy(rules, repository, tag);
    if (rule) return { tag, rule };
  }
  return undefined;
}

/**
 * Throws DENIED, naming the rule, when one of the project's rules makes any of `tags`
 * immutable; `what` says what was refused ("move it", "delete it", …).
 */
export async function refuseImmutable(q: Queryer, repository: string, tags: string[], what: string): Promise<void> {
  if (!tags.length) return;
  const hit = firstImmutable(await enabledRulesOfRepository(q, repository), repository, tags);
  if (!hit) return;
  const { tag, rule } = hit;
  throw new RegistryError(
    'DENIED',
    `tag ${tag} of ${repository} is immutable (rule ${rule.id}: repositories ${rule.repo_decoration === 'repoMatches' ? 'matching' : 'excluding'} ${rule.repo_pattern}, tags ${rule.tag_decoration === 'matches' ? 'matching' : 'excluding'} ${rule.tag_pattern}); cannot ${what}`,
    { repository, tag, rule: rule.id },
  );
}
