// Tag immutability through Harbor's API and the registry: a selected tag is pushed once and
// then neither moved, deleted (on /v2 or the API) nor its artifact deleted; the refusal is
// DENIED naming the rule; other tags, disabled rules and excluded tags are free.
import assert from 'node:assert/strict';
import { admin, addMember, basic, createProject, createUser } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { pushImage, v2fetch } from '../helpers/v2client.js';

const auth = { Authorization: basic(admin), 'Content-Type': 'application/json' };

describe('tag immutability', function () {
  this.timeout(60_000);
  let r: TestRegistry;
  before(async () => {
    r = await startTestRegistry();
    await createProject(r.url, 'imm');
  });
  after(async () => r?.close());

  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = auth) =>
    fetch(`${r.url}/api/v2.0${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const rule = (tag: string, repo = '**', tagDecoration = 'matches', repoDecoration = 'repoMatches', disabled = false) => ({
    disabled,
    tag_selectors: [{ kind: 'doublestar', decoration: tagDecoration, pattern: tag }],
    scope_selectors: { repository: [{ kind: 'doublestar', decoration: repoDecoration, pattern: repo }] },
  });
  const denied = async (res: Response, pattern: RegExp) => {
    assert.equal(res.status, 403);
    const e = ((await res.json()) as { errors: Array<{ code: string; message: string }> }).errors[0];
    assert.equal(e.code, 'DENIED');
    assert.match(e.message, pattern);
  };

  it('refuses to move, delete or delete the artifact of a selected tag, naming the rule, and leaves other tags alone', async () => {
    const created = await api('POST', '/projects/imm/immutabletagrules', rule('release-*', 'app'));
    assert.equal(created.status, 201, await created.clone().text());
    const id = Number(created.headers.get('location')!.split('/').pop());
    const first = await pushImage(r.url, 'imm/app', 'release-1');
    // Pushing the same content again moves nothing: allowed.
    const same = await v2fetch(`${r.url}/v2/imm/app/manifests/release-1`, {
      method: 'PUT',
      body: new Uint8Array(first.body),
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(same.status, 201);
    await assert.rejects(pushImage(r.url, 'imm/app', 'release-1'), /push manifest: 403 .*DENIED.*immutable \(rule \d+/);
    await denied(
      await v2fetch(`${r.url}/v2/imm/app/manifests/release-1`, { method: 'DELETE' }),
      new RegExp(`rule ${id}: repositories matching app, tags matching release-\\*\\); cannot delete it`),
    );
    await denied(await v2fetch(`${r.url}/v2/imm/app/manifests/${first.digest}`, { method: 'DELETE' }), /cannot delete the artifact it names/);
    const tagDelete = await api('DELETE', `/projects/imm/repositories/app/artifacts/${first.digest}/tags/release-1`);
    assert.equal(tagDelete.status, 403);
    assert.equal((await api('DELETE', `/projects/imm/repositories/app/artifacts/${first.digest}`)).status, 403);
    // Still the first content.
    const head = await v2fetch(`${r.url}/v2/imm/app/manifests/release-1`, { method: 'HEAD' });
    assert.equal(head.headers.get('docker-content-digest'), first.digest);
    // The tag says so; another tag on the same artifact is free to go.
    const add = await api('POST', `/projects/imm/repositories/app/artifacts/${first.digest}/tags`, { name: 'latest' });
    assert.equal(add.status, 201);
    const artifact = (await (await api('GET', `/projects/imm/repositories/app/artifacts/${first.digest}`)).json()) as {
      tags: Array<{ name: string; immutable: boolean }>;
    };
    assert.deepEqual(
      artifact.tags.map((t) => [t.name, t.immutable]),
      [
        ['latest', false],
        ['release-1', true],
      ],
    );
    await pushImage(r.url, 'imm/app', 'latest');
    assert.equal((await v2fetch(`${r.url}/v2/imm/app/manifests/latest`, { method: 'DELETE' })).status, 202);
    // The rule's repository selector: another repository's release tags move freely.
    await pushImage(r.url, 'imm/other', 'release-1');
    await pushImage(r.url, 'imm/other', 'release-1');
    // Disabled, the rule holds nothing.
    const disabled = await api('PUT', `/projects/imm/immutabletagrules/${id}`, rule('release-*', 'app', 'matches', 'repoMatches', true));
    assert.equal(disabled.status, 200);
    await pushImage(r.url, 'imm/app', 'release-1');
    assert.equal((await v2fetch(`${r.url}/v2/imm/app/manifests/release-1`, { method: 'DELETE' })).status, 202);
    assert.equal((await api('DELETE', `/projects/imm/immutabletagrules/${id}`)).status, 200);
    assert.deepEqual(await (await api('GET', '/projects/imm/immutabletagrules')).json(), []);
  });

  it('applies excludes: every tag but the excluded ones is immutable', async () => {
    const created = await api('POST', '/projects/imm/immutabletagrules', rule('dev-*', 'ex/**', 'excludes'));
    assert.equal(created.status, 201);
    await pushImage(r.url, 'imm/ex/svc', 'v1');
    await pushImage(r.url, 'imm/ex/svc', 'dev-1');
    await assert.rejects(pushImage(r.url, 'imm/ex/svc', 'v1'), /403/);
    await pushImage(r.url, 'imm/ex/svc', 'dev-1');
    const rules = (await (await api('GET', '/projects/imm/immutabletagrules')).json()) as Array<{
      id: number;
      tag_selectors: Array<{ decoration: string }>;
      action: string;
    }>;
    assert.equal(rules.length, 1);
    assert.equal(rules[0].tag_selectors[0].decoration, 'excludes');
    assert.equal(rules[0].action, 'immutable');
    await api('DELETE', `/projects/imm/immutabletagrules/${rules[0].id}`);
  });

  it('lets project admins and maintainers manage rules, not developers; refuses bad rules and duplicates', async () => {
    await createUser(r.url, 'immdev', 'Imm-Dev-Passw0rd');
    await addMember(r.url, 'imm', 'immdev', 2);
    const dev = { Authorization: basic({ username: 'immdev', password: 'Imm-Dev-Passw0rd' }), 'Content-Type': 'application/json' };
    assert.equal((await api('POST', '/projects/imm/immutabletagrules', rule('x'), dev)).status, 403);
    assert.equal((await api('GET', '/projects/imm/immutabletagrules', undefined, dev)).status, 403);
    const bad: unknown[] = [
      { tag_selectors: [], scope_selectors: { repository: [{ decoration: 'repoMatches', pattern: '**' }] } },
      rule('x', '**', 'sometimes'),
      rule('x', '**', 'matches', 'repoMaybe'),
      rule(''),
      { ...rule('x'), priority: 'high' },
    ];
    for (const body of bad) assert.equal((await api('POST', '/projects/imm/immutabletagrules', body)).status, 400, JSON.stringify(body));
    assert.equal((await api('POST', '/projects/imm/immutabletagrules', rule('dup'))).status, 201);
    assert.equal((await api('POST', '/projects/imm/immutabletagrules', rule('dup'))).status, 409);
    assert.equal((await api('PUT', '/projects/imm/immutabletagrules/999999', rule('y'))).status, 404);
    await r.flushAudit();
    const audit = (await (await api('GET', '/audit-logs?q=resource_type=immutable_tag_rule')).json()) as Array<{ operation: string }>;
    assert.ok(audit.some((a) => a.operation === 'create'));
  });
});
