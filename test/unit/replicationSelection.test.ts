import assert from 'node:assert/strict';
import type { PolicyFilter } from '../../server/db/replicationPolicies.js';
import { destinationRepository, repositorySelected, tagsSelected } from '../../server/replication/selection.js';

const f = (type: PolicyFilter['type'], value: string, decoration: PolicyFilter['decoration'] = 'matches'): PolicyFilter => ({ type, value, decoration });

describe('replication selection and naming', () => {
  it('flattens destination names as Harbor does', () => {
    const cases: Array<[string, string, number, string]> = [
      ['a/b/c', '', 2, 'a/b/c'],
      ['a/b/c', 'n', -1, 'n/c'],
      ['a/b/c', 'n', 0, 'n/a/b/c'],
      ['a/b/c', 'n', 1, 'n/b/c'],
      ['a/b/c', 'n', 2, 'n/c'],
      ['a/b/c', 'n', 3, 'n'],
      ['library/nginx', 'mirror/dockerhub', 1, 'mirror/dockerhub/nginx'],
    ];
    for (const [repo, ns, count, want] of cases) assert.equal(destinationRepository(repo, ns, count), want, `${repo} ${ns} ${count}`);
    assert.throws(() => destinationRepository('a/b/c', 'n', 4), /has 3 path components; the rule flattens 4/);
  });

  it('selects repositories by a doublestar name glob, matching or excluding', () => {
    assert.equal(repositorySelected([], 'any/thing'), true);
    const lib = [f('name', 'library/**')];
    assert.equal(repositorySelected(lib, 'library/nginx'), true);
    assert.equal(repositorySelected(lib, 'library/team/app'), true);
    assert.equal(repositorySelected(lib, 'other/nginx'), false);
    assert.equal(repositorySelected([f('name', 'library/*')], 'library/team/app'), false, 'one star stays within a path component');
    assert.equal(repositorySelected([f('name', '{library,base}/**')], 'base/alpine'), true);
    assert.equal(repositorySelected([f('name', 'tmp/**', 'excludes')], 'tmp/x'), false);
    assert.equal(repositorySelected([f('name', 'tmp/**', 'excludes')], 'prod/x'), true);
  });

  it('selects tags, and untagged artifacts only where no tag must match', () => {
    const tags = ['v1.0', 'v1.1', 'v2.0', 'latest', 'dev-abc'];
    assert.deepEqual(tagsSelected([], tags), { tags, untagged: true });
    assert.deepEqual(tagsSelected([f('tag', 'v1.*')], tags), { tags: ['v1.0', 'v1.1'], untagged: false });
    assert.deepEqual(tagsSelected([f('tag', '{v2.*,latest}')], tags), { tags: ['v2.0', 'latest'], untagged: false });
    assert.deepEqual(tagsSelected([f('tag', 'dev-*', 'excludes')], tags), { tags: ['v1.0', 'v1.1', 'v2.0', 'latest'], untagged: true });
  });
});
