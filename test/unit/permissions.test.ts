// Every role x every (resource, action), against the matrix written down in
// docs/design/0004-permissions.md §1.3 (transcribed from Harbor), plus the surprising
// entries as named cases.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { can, rolePermissions, roleIds, strongestRole, type Action, type Resource, type RoleName } from '../../server/projects/permissions.js';
import { repoRoot } from '../helpers/berthProcess.js';

const columns: RoleName[] = ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest'];

function documentedMatrix(): Array<{ resource: Resource; action: Action; holders: Set<RoleName>; isPublic: boolean }> {
  const text = readFileSync(`${repoRoot}/docs/design/0004-permissions.md`, 'utf8');
  const section = text.slice(text.indexOf('### 1.3'), text.indexOf('The matrix has moved'));
  const rows = [];
  for (const line of section.split('\n')) {
    const m = /^\| (\*\(project itself\)\*|`[a-z-]+`) \| `([a-z-]+)` \|(.*)\|\s*$/.exec(line);
    if (!m) continue;
    const cells = m[3].split('|').map((c) => c.trim());
    rows.push({
      resource: (m[1].startsWith('*') ? '' : m[1].replaceAll('`', '')) as Resource,
      action: m[2] as Action,
      holders: new Set(columns.filter((_, i) => cells[i] === '✓')),
      isPublic: cells[5] === '✓',
    });
  }
  return rows;
}

describe('permission table', () => {
  const matrix = documentedMatrix();

  it('covers the 76 documented pairs', () => assert.equal(matrix.length, 76));

  for (const role of columns) {
    it(`${role}: matches the documented matrix on every pair, private and public`, () => {
      for (const row of matrix) {
        const where = `${role} ${row.resource || '(project)'}:${row.action}`;
        assert.equal(can({ sysadmin: false, role, projectPublic: false }, row.resource, row.action), row.holders.has(role), `${where} (private)`);
        assert.equal(can({ sysadmin: false, role, projectPublic: true }, row.resource, row.action), row.holders.has(role) || row.isPublic, `${where} (public)`);
      }
    });
  }

  it('gives non-members the public set on public projects and nothing on private ones', () => {
    for (const row of matrix) {
      assert.equal(can({ sysadmin: false, projectPublic: true }, row.resource, row.action), row.isPublic);
      assert.equal(can({ sysadmin: false, projectPublic: false }, row.resource, row.action), false);
    }
  });

  it('lets a system administrator do everything, member or not', () => {
    for (const row of matrix) assert.ok(can({ sysadmin: true, projectPublic: false }, row.resource, row.action));
  });

  it('holds the entries people get wrong', () => {
    const as = (role: RoleName, resource: Resource, action: Action) => can({ sysadmin: false, role, projectPublic: false }, resource, action);
    assert.ok(as('developer', 'repository', 'push'));
    assert.ok(!as('developer', 'repository', 'delete'), 'developers push but do not delete repositories');
    assert.ok(!as('developer', 'artifact', 'delete'));
    assert.ok(as('guest', 'repository', 'pull') && !as('guest', 'repository', 'push'), 'guests pull only');
    assert.ok(as('limitedGuest', 'repository', 'pull') && !as('limitedGuest', 'member', 'list'), 'limited guests pull but cannot list members');
    for (const r of ['developer', 'guest', 'limitedGuest'] as const) assert.ok(!as(r, 'immutable-tag', 'update'), `${r} cannot edit immutability rules`);
    assert.ok(as('maintainer', 'immutable-tag', 'update') && as('projectAdmin', 'immutable-tag', 'update'));
    assert.ok(!can({ sysadmin: false, projectPublic: true }, 'repository', 'read'), 'pull is a separate action from read');
    assert.ok(can({ sysadmin: false, projectPublic: true }, 'repository', 'pull'));
  });

  it('keeps Harbor role ids and grows each role from the one below', () => {
    assert.deepEqual(roleIds, { projectAdmin: 1, developer: 2, guest: 3, maintainer: 4, limitedGuest: 5 });
    const size = (r: RoleName) => rolePermissions(r).length;
    assert.deepEqual(columns.map(size), [76, 53, 36, 20, 14]);
  });

  it("takes the strongest of a user's roles, each holding every pair of the weaker ones", () => {
    const order: RoleName[] = ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest'];
    for (let i = 0; i + 1 < order.length; i++) {
      const stronger = new Set(rolePermissions(order[i]).map((p) => `${p.resource}:${p.action}`));
      const weaker = rolePermissions(order[i + 1]).map((p) => `${p.resource}:${p.action}`);
      assert.deepEqual(
        weaker.filter((k) => !stronger.has(k)),
        [],
        `${order[i]} holds all of ${order[i + 1]}`,
      );
    }
    assert.equal(strongestRole([3, 2]), 'developer');
    assert.equal(strongestRole([5, 4, 3]), 'maintainer');
    assert.equal(strongestRole([2, 1]), 'projectAdmin');
    assert.equal(strongestRole([]), undefined);
    assert.equal(strongestRole(null), undefined);
    assert.equal(strongestRole([9]), undefined);
  });
});
