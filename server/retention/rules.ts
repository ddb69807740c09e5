// Harbor's tag retention rules: what the API accepts, and what a rule keeps of a
// repository's artifacts. Decisions are per artifact (digest), never per tag: an artifact
// is kept when any rule keeps it through any of its tags, and then keeps every tag it has,
// so tags that share a digest never lose it by surprise (goharbor/harbor #8717).
import type { RetentionCandidate } from '../db/retention.js';
import { DomainError } from '../lib/errors.js';
import type { RetentionMetadataView, RetentionRuleView, RetentionTemplate } from '../lib/harborTypes.js';
import { glob, isGlob, repositoryWithinProject } from '../registry/selectors.js';

/** Harbor's limit per policy. */
export const maxRules = 15;

const day = 24 * 3600 * 1000;

/** The one table of templates: the console's texts, the parameter's unit, and what each keeps. */
const templates: Record<
  RetentionTemplate,
  { text: string; unit?: 'COUNT' | 'DAYS'; keep: (chosen: RetentionCandidate[], n: number, now: number) => RetentionCandidate[] }
> = {
  latestPushedK: { text: 'the most recently pushed # artifacts', unit: 'COUNT', keep: (c, n) => [...c].sort(byPushed).slice(0, n) },
  latestPulledN: { text: 'the most recently pulled # artifacts', unit: 'COUNT', keep: (c, n) => [...c].sort(byPulled).slice(0, n) },
  nDaysSinceLastPush: { text: 'pushed within the last # days', unit: 'DAYS', keep: (c, n, now) => c.filter((a) => a.pushedAt.getTime() >= now - n * day) },
  nDaysSinceLastPull: {
    text: 'pulled within the last # days',
    unit: 'DAYS',
    keep: (c, n, now) => c.filter((a) => a.pulledAt !== null && a.pulledAt.getTime() >= now - n * day),
  },
  always: { text: 'always', keep: (c) => c },
};

// Newest first; the digest breaks ties so a run decides the same way twice.
function byPushed(a: RetentionCandidate, b: RetentionCandidate): number {
  return b.pushedAt.getTime() - a.pushedAt.getTime() || a.digest.localeCompare(b.digest);
}

// Never pulled sorts last.
function byPulled(a: RetentionCandidate, b: RetentionCandidate): number {
  return (b.pulledAt?.getTime() ?? -1) - (a.pulledAt?.getTime() ?? -1) || byPushed(a, b);
}

export const retentionMetadata: RetentionMetadataView = {
  templates: (Object.keys(templates) as RetentionTemplate[]).map((t) => ({
    rule_template: t,
    display_text: templates[t].text,
    action: 'retain',
    params: templates[t].unit ? [{ type: 'int', unit: templates[t].unit, required: true }] : [],
  })),
  scope_selectors: [{ display_text: 'Repositories', kind: 'doublestar', decorations: ['repoMatches', 'repoExcludes'] }],
  tag_selectors: [{ display_text: 'Tags', kind: 'doublestar', decorations: ['matches', 'excludes'] }],
};

/** What a rule says in a log line: `rule 2 (latestPushedK 3 of tags matching v*, untagged too)`. */
export function describeRule(r: RetentionRuleView): string {
  const t = r.tag_selectors[0];
  const n = r.params[r.template];
  return `rule ${r.id} (${r.template}${n === undefined ? '' : ` ${n}`} of tags ${t.decoration === 'matches' ? 'matching' : 'excluding'} ${t.pattern}${untaggedToo(r) ? ', untagged too' : ''})`;
}

/** Harbor's default: a `matches` selector takes untagged artifacts too, an `excludes` one does not. */
function untaggedToo(r: RetentionRuleView): boolean {
  const t = r.tag_selectors[0];
  const extras = JSON.parse(t.extras || '{}') as { untagged?: boolean };
  return extras.untagged ?? t.decoration === 'matches';
}

function repositorySelected(r: RetentionRuleView, repository: string): boolean {
  const s = r.scope_selectors.repository[0];
  const hit = glob(s.pattern)(repositoryWithinProject(repository));
  return s.decoration === 'repoMatches' ? hit : !hit;
}

function tagSelected(r: RetentionRuleView, a: RetentionCandidate): boolean {
  if (!a.tags.length) return untaggedToo(r);
  const t = r.tag_selectors[0];
  const m = glob(t.pattern);
  return t.decoration === 'matches' ? a.tags.some((tag) => m(tag)) : a.tags.some((tag) => !m(tag));
}

/** The enabled rules that apply to the repository; none means retention leaves it alone. */
export function rulesFor(rules: RetentionRuleView[], repository: string): RetentionRuleView[] {
  return rules.filter((r) => !r.disabled && repositorySelected(r, repository));
}

/** For each artifact, the rules that keep it (empty: it goes). Rules combine by OR. */
export function weigh(rules: RetentionRuleView[], candidates: RetentionCandidate[], now: number): Map<RetentionCandidate, RetentionRuleView[]> {
  const keptBy = new Map(candidates.map((c) => [c, [] as RetentionRuleView[]]));
  for (const r of rules) {
    const chosen = candidates.filter((c) => tagSelected(r, c));
    for (const c of templates[r.template].keep(chosen, r.params[r.template] ?? 0, now)) keptBy.get(c)!.push(r);
  }
  return keptBy;
}

interface SelectorInput {
  kind?: unknown;
  decoration?: unknown;
  pattern?: unknown;
  extras?: unknown;
}

function one(list: unknown, what: string): SelectorInput {
  if (!Array.isArray(list) || list.length !== 1 || typeof list[0] !== 'object' || list[0] === null)
    throw new DomainError('INVALID', `${what} must hold exactly one selector`);
  const s = list[0] as SelectorInput;
  if (s.kind !== undefined && s.kind !== 'doublestar') throw new DomainError('INVALID', `${what}[0].kind must be doublestar`);
  if (typeof s.pattern !== 'string' || !s.pattern || s.pattern.length > 255 || !isGlob(s.pattern)) {
    throw new DomainError('INVALID', `${what}[0].pattern must be a doublestar glob of at most 255 characters, e.g. ** or v*`);
  }
  return s;
}

export interface RuleInput {
  id?: unknown;
  priority?: unknown;
  disabled?: unknown;
  action?: unknown;
  template?: unknown;
  params?: unknown;
  tag_selectors?: unknown;
  scope_selectors?: { repository?: unknown };
}

const maxParam: Record<'COUNT' | 'DAYS', number> = { COUNT: 1_000_000, DAYS: 36_500 };

/** One rule as stored: checked whole, Harbor's shape, its id its place in the list. */
export function parseRule(input: RuleInput, index: number): RetentionRuleView {
  const at = `rules[${index}]`;
  if (typeof input !== 'object' || input === null) throw new DomainError('INVALID', `${at} must be an object`);
  if (input.action !== undefined && input.action !== 'retain') throw new DomainError('INVALID', `${at}.action must be retain`);
  const template = input.template;
  if (typeof template !== 'string' || !Object.hasOwn(templates, template)) {
    throw new DomainError('INVALID', `${at}.template must be one of ${Object.keys(templates).join(', ')}`);
  }
  const t = template as RetentionTemplate;
  const params: Record<string, number> = {};
  const unit = templates[t].unit;
  if (unit) {
    const raw = (input.params as Record<string, unknown> | undefined)?.[t];
    const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > maxParam[unit]) {
      throw new DomainError('INVALID', `${at}.params.${t} must be a whole number of ${unit === 'COUNT' ? 'artifacts' : 'days'} from 0 to ${maxParam[unit]}`);
    }
    params[t] = n;
  }
  const tag = one(input.tag_selectors, `${at}.tag_selectors`);
  if (tag.decoration !== 'matches' && tag.decoration !== 'excludes')
    throw new DomainError('INVALID', `${at}.tag_selectors[0].decoration must be matches or excludes`);
  let extras = '';
  if (tag.extras !== undefined && tag.extras !== '') {
    let parsed: unknown;
    try {
      parsed = typeof tag.extras === 'string' ? JSON.parse(tag.extras) : undefined;
    } catch {
      parsed = undefined;
    }
    const u = (parsed as { untagged?: unknown } | undefined)?.untagged;
    if (typeof parsed !== 'object' || parsed === null || (u !== undefined && typeof u !== 'boolean')) {
      throw new DomainError('INVALID', `${at}.tag_selectors[0].extras must be JSON text such as {"untagged":true}`);
    }
    if (u !== undefined) extras = JSON.stringify({ untagged: u });
  }
  const repo = one(input.scope_selectors?.repository, `${at}.scope_selectors.repository`);
  if (repo.decoration !== 'repoMatches' && repo.decoration !== 'repoExcludes') {
    throw new DomainError('INVALID', `${at}.scope_selectors.repository[0].decoration must be repoMatches or repoExcludes`);
  }
  if (input.disabled !== undefined && typeof input.disabled !== 'boolean') throw new DomainError('INVALID', `${at}.disabled must be true or false`);
  const priority = input.priority ?? 0;
  if (typeof priority !== 'number' || !Number.isInteger(priority)) throw new DomainError('INVALID', `${at}.priority must be an integer`);
  return {
    id: index + 1,
    priority,
    disabled: input.disabled === true,
    action: 'retain',
    template: t,
    params,
    tag_selectors: [{ kind: 'doublestar', decoration: tag.decoration, pattern: tag.pattern as string, extras }],
    scope_selectors: { repository: [{ kind: 'doublestar', decoration: repo.decoration, pattern: repo.pattern as string }] },
  };
}
