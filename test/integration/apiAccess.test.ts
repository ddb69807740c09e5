// Every project role (and outsiders) against the management API's project-scoped actions,
// expected answers derived from the one permission table.
import assert from 'node:assert/strict';
import { can, roleIds, type Action, type Resource, type RoleName } from '../../server/projects/permissions.js';
import { addMember, basic, createProject, createUser } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { pushImage } from '../helpers/v2client.js';

const password = 'Passw0rd-Test';
const roles = Object.keys(roleIds) as RoleName[];
type Caller = RoleName | 'outsider';
const userOf = (c: Caller) => ({ username: `a-${c.toLowerCase()}`, password });

interface Case {
  what: string;
  resource: Resource;
  action: Action;
  /** A request that succeeds when allowed; `n` makes names unique per caller. */
  send(r: TestRegistry, caller: Caller, n: string): Promise<Response>;
}

const json = (c: Caller) => ({ Authorization: basic(userOf(c)), 'Content-Type': 'application/json' });

const cases: Case[] = [
  { what: 'read the project', resource: '', action: 'read', send: (r, c) => fetch(`${r.url}/api/v2.0/projects/apiproj`, { headers: json(c) }) },
  { what: 'list members', resource: 'member', action: 'list', send: (r, c) => fetch(`${r.url}/api/v2.0/projects/apiproj/members`, { headers: json(c) }) },
  {
    what: 'add a member',
    resource: 'member',
    action: 'create',
    send: (r, c, n) =>
      fetch(`${r.url}/api/v2.0/projects/apiproj/members`, {
        method: 'POST',
        headers: json(c),
        body: JSON.stringify({ role_id: 3, member_user: { username: `spare-${n}` } }),
      }),
  },
  {
    what: 'create a robot',
    resource: 'robot',
    action: 'create',
    send: (r, c, n) =>
      fetch(`${r.url}/api/v2.0/robots`, {
        method: 'POST',
        headers: json(c),
        body: JSON.stringify({
          name: `bot-${n}`,
          level: 'project',
          permissions: [{ kind: 'project', namespace: 'apiproj', access: [{ resource: 'repository', action: 'pull' }] }],
        }),
      }),
  },
  {
    what: 'update the project',
    resource: '',
    action: 'update',
    send: (r, c) => fetch(`${r.url}/api/v2.0/projects/apiproj`, { method: 'PUT', headers: json(c), body: JSON.stringify({ metadata: { public: 'false' } }) }),
  },
  {
    what: 'list repositories',
    resource: 'repository',
    action: 'list',
    send: (r, c) => fetch(`${r.url}/api/v2.0/projects/apiproj/repositories`, { headers: json(c) }),
  },
  {
    what: 'list artifacts',
    resource: 'artifact',
    action: 'list',
    send: (r, c) => fetch(`${r.url}/api/v2.0/projects/apiproj/repositories/app/artifacts`, { headers: json(c) }),
  },
  {
    what: 'add a tag',
    resource: 'tag',
    action: 'create',
    send: (r, c, n) =>
      fetch(`${r.url}/api/v2.0/projects/apiproj/repositories/app/artifacts/v1/tags`, {
        method: 'POST',
        headers: json(c),
        body: JSON.stringify({ name: `t-${n}` }),
      }),
  },
  {
    what: 'delete a repository',
    resource: 'repository',
    action: 'delete',
    send: (r, c, n) => fetch(`${r.url}/api/v2.0/projects/apiproj/repositories/del-${n}`, { method: 'DELETE', headers: json(c) }),
  },
];

describe(`management API access by role`, function () {
  this.timeout(120_000);
  let r: TestRegistry;
  const callers: Caller[] = [...roles, 'outsider'];
  before(async () => {
    r = await startTestRegistry();
    await createProject(r.url, 'apiproj');
    for (const c of callers) {
      await createUser(r.url, userOf(c).username, password);
      await createUser(r.url, `spare-${c.toLowerCase()}`, password);
      await pushImage(r.url, `apiproj/del-${c.toLowerCase()}`, 'v1');
    }
    for (const role of roles) await addMember(r.url, 'apiproj', userOf(role).username, roleIds[role]);
    await pushImage(r.url, 'apiproj/app', 'v1');
  });
  after(async () => r?.close());

  for (const c of ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest', 'outsider'] as Caller[]) {
    for (const k of cases) {
      const allowed = can({ sysadmin: false, role: c === 'outsider' ? undefined : c, projectPublic: false }, k.resource, k.action);
      it(`${c} ${allowed ? 'may' : 'may not'} ${k.what}`, async () => {
        const res = await k.send(r, c, c.toLowerCase());
        const text = await res.text();
        if (allowed) assert.ok(res.status >= 200 && res.status < 300, `${res.status} ${text}`);
        else assert.ok([403, 404].includes(res.status), `${res.status} ${text}`);
        if (c === 'outsider') assert.equal(res.status, 404, 'a private project stays invisible to outsiders');
      });
    }
  }
});
