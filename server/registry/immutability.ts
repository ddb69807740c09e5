// Tag immutability (Harbor's rules): a tag a project's enabled rule selects may be pushed
// once and then never moved to another manifest nor deleted, and the manifest it names
// cannot be deleted. Every tag and manifest write goes through registry/tags.ts or
// registry/manifests.ts, which ask here first, inside their transaction.
import picomatch from 'picomatch';
import type { Queryer } from '../db/database.js';
import { enabledRulesOfRepository, type ImmutableRuleRow } from '../db/immutableRules.js';
import { RegistryError } from '../lib/registryErrors.js';

/** Harbor matches the repository's name within its project (`app`, not `team/app`). */
function repositoryWithinProject(repository: string): string {
  const slash = repository.indexOf('/');
  return slash < 0 ? repository : repository.slice(slash + 1);
}

const matchers = new Map<string, (s: string) => boolean>();

function glob(pattern: string): (s: string) => boolean {
  let m = matchers.get(pattern);
  if (!m) {
    const isMatch = picomatch(pattern, { dot: true });
    m = (s: string) => isMatch(s);
    if (matchers.size > 10_000) matchers.clear();
    matchers.set(pattern, m);
  }
  return m;
}

/** Whether the pattern is one picomatch can compile (a rule's input check). */
export function isGlob(pattern: string): boolean {
  try {
    picomatch(pattern);
    return true;
  } catch {
    return false;
  }
}

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

/**
 * Throws DENIED, naming the rule, when one of the project's rules makes any of `tags`
 * immutable; `what` says what was refused ("move it", "delete it", …).
 */
export async function refuseImmutable(q: Queryer, repository: string, tags: string[], what: string): Promise<void> {
  if (!tags.length) return;
  const rules = await enabledRulesOfRepository(q, repository);
  for (const tag of tags) {
    const rule = immutableBy(rules, repository, tag);
    if (rule) {
      throw new RegistryError(
        'DENIED',
        `tag ${tag} of ${repository} is immutable (rule ${rule.id}: repositories ${rule.repo_decoration === 'repoMatches' ? 'matching' : 'excluding'} ${rule.repo_pattern}, tags ${rule.tag_decoration === 'matches' ? 'matching' : 'excluding'} ${rule.tag_pattern}); cannot ${what}`,
        { repository, tag, rule: rule.id },
      );
    }
  }
}
