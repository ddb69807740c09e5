// What each retention template keeps of the artifacts a rule's selectors chose, and how
// the selectors choose (Harbor's doublestar semantics, untagged defaults, rules by OR).
import assert from 'node:assert/strict';
import type { RetentionCandidate } from '../../server/db/retention.js';
import { parseRule, rulesFor, weigh } from '../../server/retention/rules.js';

const now = Date.parse('2026-12-01T00:00:00Z');
const day = 24 * 3600 * 1000;
const artifact = (digest: string, tags: string[], pushedDaysAgo: number, pulledDaysAgo?: number): RetentionCandidate => ({
  digest,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  tags,
  pushedAt: new Date(now - pushedDaysAgo * day),
  pulledAt: pulledDaysAgo === undefined ? null : new Date(now - pulledDaysAgo * day),
});

const rule = (template: string, n: number | undefined, tag: string, decoration = 'matches', extras = '', repo = '**', repoDecoration = 'repoMatches') =>
  parseRule(
    {
      template,
      params: n === undefined ? {} : { [template]: n },
      tag_selectors: [{ kind: 'doublestar', decoration, pattern: tag, extras }],
      scope_selectors: { repository: [{ kind: 'doublestar', decoration: repoDecoration, pattern: repo }] },
    },
    0,
  );

const all = [
  artifact('sha256:a', ['v1'], 10, 1),
  artifact('sha256:b', ['v2', 'latest'], 5, 20),
  artifact('sha256:c', ['v3'], 1),
  artifact('sha256:d', [], 0, 0),
];

const kept = (rules: ReturnType<typeof rule>[], candidates = all) =>
  [...weigh(rules, candidates, now)]
    .filter(([, by]) => by.length)
    .map(([c]) => c.digest)
    .sort();

describe('retention rules', () => {
  it('keeps the newest pushed or pulled K, and what was pushed or pulled within N days', () => {
    assert.deepEqual(kept([rule('latestPushedK', 2, 'v*', 'matches', '{"untagged":false}')]), ['sha256:b', 'sha256:c']);
    // Never pulled sorts last.
    assert.deepEqual(kept([rule('latestPulledN', 2, '**')]), ['sha256:a', 'sha256:d']);
    assert.deepEqual(kept([rule('nDaysSinceLastPush', 5, '**')]), ['sha256:b', 'sha256:c', 'sha256:d']);
    assert.deepEqual(kept([rule('nDaysSinceLastPull', 7, '**')]), ['sha256:a', 'sha256:d']);
    assert.deepEqual(kept([rule('always', undefined, 'latest')]), ['sha256:b', 'sha256:d']);
    assert.deepEqual(kept([rule('latestPushedK', 0, '**')]), []);
  });

  it('chooses by any tag, takes untagged artifacts by default only for matches, and combines rules by OR', () => {
    // matches: any tag matching; untagged included unless extras say otherwise.
    assert.deepEqual(kept([rule('always', undefined, 'v1')]), ['sha256:a', 'sha256:d']);
    assert.deepEqual(kept([rule('always', undefined, 'v1', 'matches', '{"untagged":false}')]), ['sha256:a']);
    // excludes: an artifact with any tag outside the pattern; untagged only when asked.
    assert.deepEqual(kept([rule('always', undefined, 'v*', 'excludes')]), ['sha256:b']);
    assert.deepEqual(kept([rule('always', undefined, 'v*', 'excludes', '{"untagged":true}')]), ['sha256:b', 'sha256:d']);
    assert.deepEqual(kept([rule('latestPushedK', 1, 'v1', 'matches', '{"untagged":false}'), rule('always', undefined, 'latest')]), [
      'sha256:a',
      'sha256:b',
      'sha256:d',
    ]);
  });

  it('applies a rule to the repositories its scope selects, by name within the project', () => {
    const app = rule('always', undefined, '**', 'matches', '', 'app*');
    const notApp = rule('always', undefined, '**', 'matches', '', 'app*', 'repoExcludes');
    assert.deepEqual(rulesFor([app, notApp], 'team/app-web'), [app]);
    assert.deepEqual(rulesFor([app, notApp], 'team/db'), [notApp]);
    assert.deepEqual(rulesFor([{ ...app, disabled: true }], 'team/app'), []);
  });
});
