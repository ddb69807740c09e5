import assert from 'node:assert/strict';
import type { PolicyRow } from '../../server/db/replicationPolicies.js';
import type { PolicyFilter } from '../../server/lib/harborTypes.js';
import type { ReplicationEvent } from '../../server/db/replicationEvents.js';
import { eventTask, resourceSelected } from '../../replication/flow/plan.js';
import { destinationRepository, repositorySelected, tagsSelected } from '../../replication/flow/selection.js';

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

describe('replication events and resources', () => {
  const policy = (over: Partial<PolicyRow>): PolicyRow => ({
    id: 1,
    name: 'r',
    description: '',
    src_registry_id: null,
    dest_registry_id: 2,
    dest_namespace: 'mirror',
    dest_namespace_replace_count: 0,
    trig: { type: 'event_based', trigger_settings: { cron: '' } },
    filters: [],
    replicate_deletion: false,
    override: true,
    enabled: true,
    speed_kb: -1,
    copy_by_chunk: false,
    created_at: new Date(),
    updated_at: new Date(),
    ...over,
  });
  const ev = (operation: 'push' | 'delete', repository: string, reference: string, artifactType: string | null = null): ReplicationEvent => ({
    id: 1,
    operation,
    repository,
    reference,
    digest: reference.includes(':') ? reference : `sha256:${'a'.repeat(64)}`,
    artifact_type: artifactType,
  });

  it('turns a tag push into a copy by digest that sets the tag, under the destination name', () => {
    assert.deepEqual(eventTask(policy({}), ev('push', 'p/app', 'v1')), {
      operation: 'copy',
      srcRepository: 'p/app',
      dstRepository: 'mirror/p/app',
      reference: `sha256:${'a'.repeat(64)}`,
      tags: ['v1'],
    });
  });

  it('applies the name, tag and resource filters to events', () => {
    const p = policy({ filters: [f('name', 'p/**'), f('tag', 'v*'), f('resource', 'image')] });
    assert.ok(eventTask(p, ev('push', 'p/app', 'v1')));
    assert.equal(eventTask(p, ev('push', 'q/app', 'v1')), undefined);
    assert.equal(eventTask(p, ev('push', 'p/app', 'latest')), undefined);
    assert.equal(eventTask(p, ev('push', 'p/app', 'v1', 'application/vnd.cncf.helm.config.v1+json')), undefined);
    // A referrer pushed by digest: only where no tag must match.
    assert.equal(eventTask(p, ev('push', 'p/app', `sha256:${'b'.repeat(64)}`)), undefined);
    assert.ok(eventTask(policy({}), ev('push', 'p/app', `sha256:${'b'.repeat(64)}`)));
  });

  it('propagates deletions only for rules that say so', () => {
    assert.equal(eventTask(policy({}), ev('delete', 'p/app', 'v1')), undefined);
    assert.deepEqual(eventTask(policy({ replicate_deletion: true }), ev('delete', 'p/app', 'v1')), {
      operation: 'deletion',
      srcRepository: 'p/app',
      dstRepository: 'mirror/p/app',
      reference: 'v1',
      tags: [],
    });
  });

  it('tells images from other artifacts for the resource filter', () => {
    assert.equal(resourceSelected([], 'application/vnd.cncf.helm.config.v1+json'), true);
    assert.equal(resourceSelected([f('resource', 'image')], 'application/vnd.oci.image.config.v1+json'), true);
    assert.equal(resourceSelected([f('resource', 'image')], null), true, 'an index is an image');
    assert.equal(resourceSelected([f('resource', 'image')], 'application/vnd.cncf.helm.config.v1+json'), false);
    assert.equal(resourceSelected([f('resource', 'image', 'excludes')], 'application/vnd.cncf.helm.config.v1+json'), true);
    assert.equal(resourceSelected([f('resource', 'artifact')], 'application/x-anything'), true);
  });
});
