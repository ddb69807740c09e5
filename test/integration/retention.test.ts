// Tag retention through Harbor's API (/api/v2.0/retentions…) with a real runner: the policy
// and its checks, a dry run that lists exactly what a run then deletes, what is never
// deleted by surprise (a digest another tag keeps, index children, immutable tags, a tag
// pushed after weighing, repositories no rule selects), schedules, stopping, permissions
// and audit rows.
import assert from 'node:assert/strict';
import { createLogger } from '../../server/log/logger.js';
import { retireManifest } from '../../server/registry/manifests.js';
import { RetentionRunner } from '../../server/retention/runner.js';
import { findRepositoryId } from '../../server/db/repositories.js';
import { addMember, admin, basic, createProject, createUser } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { asBody, pushImage, v2fetch } from '../helpers/v2client.js';

const auth = { Authorization: basic(admin), 'Content-Type': 'application/json' };

interface Rule {
  template: string;
  params?: Record<string, number>;
  tag: string;
  decoration?: string;
  untagged?: boolean;
  repo?: string;
  repoDecoration?: string;
}

const rule = (r: Rule) => ({
  disabled: false,
  action: 'retain',
  template: r.template,
  params: r.params ?? {},
  tag_selectors: [
    {
      kind: 'doublestar',
      decoration: r.decoration ?? 'matches',
      pattern: r.tag,
      extras: r.untagged === undefined ? '' : JSON.stringify({ untagged: r.untagged }),
    },
  ],
  scope_selectors: { repository: [{ kind: 'doublestar', decoration: r.repoDecoration ?? 'repoMatches', pattern: r.repo ?? '**' }] },
});

describe('tag retention', function () {
  this.timeout(60_000);
  let r: TestRegistry;
  let runner: RetentionRunner;
  let projectId: number;
  before(async () => {
    r = await startTestRegistry();
    await createProject(r.url, 'ret');
    projectId = ((await (await api('GET', '/projects/ret')).json()) as { project_id: number }).project_id;
    runner = new RetentionRunner({ db: r.db, log: createLogger('silent') }, { leaseSeconds: 3, pollMs: 60_000 });
  });
  after(async () => {
    await runner?.stop();
    await r?.close();
  });

  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = auth) =>
    fetch(`${r.url}/api/v2.0${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const policy = (rules: unknown[], cron = '', ref: number = projectId) => ({
    algorithm: 'or',
    rules,
    trigger: { kind: 'Schedule', settings: { cron } },
    scope: { level: 'project', ref },
  });
  const present = async (repo: string, digest: string) => (await v2fetch(`${r.url}/v2/${repo}/manifests/${digest}`, { method: 'HEAD' })).status === 200;
  const execute = async (id: number, dryRun: boolean) => {
    const res = await api('POST', `/retentions/${id}/executions`, { dry_run: dryRun });
    assert.equal(res.status, 201, await res.clone().text());
    const eid = Number(res.headers.get('location')!.split('/').pop());
    await runner.tick();
    const runs = (await (await api('GET', `/retentions/${id}/executions`)).json()) as Array<{ id: number; status: string; dry_run: boolean }>;
    const run = runs.find((e) => e.id === eid)!;
    assert.equal(run.status, 'Success');
    assert.equal(run.dry_run, dryRun);
    const tasks = (await (await api('GET', `/retentions/${id}/executions/${eid}/tasks`)).json()) as Array<{
      id: number;
      repository: string;
      total: number;
      retained: number;
      deleted: number;
      status: string;
    }>;
    const logs = new Map<string, string>();
    for (const t of tasks) logs.set(t.repository, await (await api('GET', `/retentions/${id}/executions/${eid}/tasks/${t.id}`)).text());
    return { eid, tasks, logs };
  };

  it('checks the policy, names it in the project, and allows one per project', async () => {
    const meta = (await (await api('GET', '/retentions/metadatas')).json()) as { templates: Array<{ rule_template: string }> };
    assert.deepEqual(meta.templates.map((t) => t.rule_template).sort(), [
      'always',
      'latestPulledN',
      'latestPushedK',
      'nDaysSinceLastPull',
      'nDaysSinceLastPush',
    ]);
    const bad: Array<[unknown, RegExp]> = [
      [policy([rule({ template: 'latestPushedK', tag: '**' })]), /params\.latestPushedK must be a whole number/],
      [policy([rule({ template: 'keepAll', tag: '**' })]), /template must be one of/],
      [policy([rule({ template: 'always', tag: 'x'.repeat(300) })]), /pattern must be a doublestar glob/],
      [policy([rule({ template: 'always', tag: '**', decoration: 'equals' })]), /decoration must be matches or excludes/],
      [
        policy([{ ...rule({ template: 'always', tag: '**' }), tag_selectors: [{ decoration: 'matches', pattern: '**', extras: 'yes' }] }]),
        /extras must be JSON/,
      ],
      [policy([rule({ template: 'always', tag: '**' })], 'every day'), /cron must be a cron expression/],
      [policy(Array.from({ length: 16 }, () => rule({ template: 'always', tag: '**' }))), /at most 15 rules/],
      [{ ...policy([]), scope: { level: 'system' } }, /scope\.level must be project/],
    ];
    for (const [body, message] of bad) {
      const res = await api('POST', '/retentions', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(((await res.json()) as { errors: Array<{ message: string }> }).errors[0].message, message);
    }
    assert.equal((await api('POST', '/retentions', policy([], '', 999_999))).status, 404);

    const created = await api('POST', '/retentions', policy([rule({ template: 'latestPushedK', params: { latestPushedK: 3 }, tag: '**' })], '0 0 3 * * *'));
    assert.equal(created.status, 201, await created.clone().text());
    const id = Number(created.headers.get('location')!.split('/').pop());
    const project = (await (await api('GET', '/projects/ret')).json()) as { metadata: Record<string, string> };
    assert.equal(project.metadata.retention_id, String(id));
    const view = (await (await api('GET', `/retentions/${id}`)).json()) as { rules: Array<Record<string, unknown>>; trigger: { settings: { cron: string } } };
    assert.equal(view.trigger.settings.cron, '0 0 3 * * *');
    assert.deepEqual(view.rules[0].params, { latestPushedK: 3 });
    assert.equal((await api('POST', '/retentions', policy([]))).status, 409);

    // A guest sees the project but not its retention; changing it is a project admin's or maintainer's (and developer's, Harbor's table).
    await createUser(r.url, 'retguest', 'Guest-Password-1');
    await addMember(r.url, 'ret', 'retguest', 3);
    const guest = { Authorization: basic({ username: 'retguest', password: 'Guest-Password-1' }), 'Content-Type': 'application/json' };
    assert.equal((await api('GET', `/retentions/${id}`, undefined, guest)).status, 403);
    assert.equal((await api('POST', `/retentions/${id}/executions`, { dry_run: true }, guest)).status, 403);
    assert.equal((await api('GET', `/retentions/${id}`, undefined, {})).status, 401);

    assert.equal((await api('PUT', `/retentions/${id}`, policy([]))).status, 200);
    assert.equal((await api('PUT', `/retentions/${id}`, policy([], '', 1 + projectId))).status, 400);
    assert.equal((await api('DELETE', `/retentions/${id}`)).status, 200);
    assert.equal((await api('GET', `/retentions/${id}`)).status, 404);
    const audit = (await (await api('GET', '/audit-logs?q=resource_type=retention&page_size=10')).json()) as Array<{ operation: string }>;
    assert.deepEqual(audit.map((a) => a.operation).sort(), ['create', 'delete', 'update']);
  });

  it('deletes by digest what no rule keeps, exactly what the dry run listed, and nothing by surprise', async () => {
    const repo = 'ret/app';
    const a = await pushImage(r.url, repo, 'v1');
    // Tags that share a digest: v1 is not among the newest, stable-a keeps it whole.
    assert.equal((await api('POST', `/projects/ret/repositories/app/artifacts/${a.digest}/tags`, { name: 'stable-a' })).status, 201);
    const b = await pushImage(r.url, repo, 'v2');
    const c = await pushImage(r.url, repo, 'v3');
    const d = await pushImage(r.url, repo, 'v4');
    const untagged = await pushImage(r.url, repo, 'moving');
    await pushImage(r.url, repo, 'moving'); // leaves the first untagged; the new one has a tag no rule keeps
    const frozen = await pushImage(r.url, repo, 'frozen');
    assert.equal(
      (
        await api('POST', '/projects/ret/immutabletagrules', {
          tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: 'frozen' }],
          scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] },
        })
      ).status,
      201,
    );
    // An index kept by a rule, with untagged children that must stay with it.
    const children = [await pushImage(r.url, repo, 'child-1'), await pushImage(r.url, repo, 'child-2')];
    for (const t of ['child-1', 'child-2']) assert.equal((await v2fetch(`${r.url}/v2/${repo}/manifests/${t}`, { method: 'DELETE' })).status, 202);
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: children.map((ch, i) => ({
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: ch.digest,
          size: ch.body.length,
          platform: { architecture: i ? 'arm64' : 'amd64', os: 'linux' },
        })),
      }),
    );
    const put = await v2fetch(`${r.url}/v2/${repo}/manifests/stable-multi`, {
      method: 'PUT',
      body: asBody(index),
      headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' },
    });
    assert.equal(put.status, 201);
    const indexDigest = put.headers.get('docker-content-digest')!;
    // Another repository that no rule selects.
    const other = await pushImage(r.url, 'ret/other', 'v1');
    await pushImage(r.url, 'ret/other', 'v1');

    const created = await api(
      'POST',
      '/retentions',
      policy([
        rule({ template: 'latestPushedK', params: { latestPushedK: 2 }, tag: 'v*', untagged: false, repo: 'app' }),
        rule({ template: 'always', tag: 'stable*', untagged: false, repo: 'app' }),
      ]),
    );
    assert.equal(created.status, 201, await created.clone().text());
    const id = Number(created.headers.get('location')!.split('/').pop());

    const dry = await execute(id, true);
    assert.deepEqual(
      dry.tasks.map((t) => [t.repository, t.total, t.retained, t.deleted, t.status]),
      [[repo, 8, 5, 3, 'Success']],
    );
    const log = dry.logs.get(repo)!;
    const decision = (digest: string) => log.split('\n').find((l) => l.startsWith(digest)) ?? '';
    assert.match(decision(a.digest), /stable-a,v1 \|.*RETAIN by rule 2 always/);
    assert.match(decision(b.digest), /WOULD DELETE/);
    assert.match(decision(c.digest), /RETAIN by rule 1 latestPushedK/);
    assert.match(decision(d.digest), /RETAIN by rule 1 latestPushedK/);
    assert.match(decision(untagged.digest), /<none> \|.*WOULD DELETE/);
    assert.match(decision(frozen.digest), /RETAIN: tag frozen is immutable/);
    assert.match(decision(indexDigest), /\| index \|.*RETAIN by rule 2/);
    for (const ch of children) assert.equal(decision(ch.digest), '', 'an index child is never weighed apart from its index');
    const wouldGo = log.split('\n').filter((l) => l.includes('WOULD DELETE'));
    assert.equal(wouldGo.length, 3);
    for (const x of [a, b, c, d, untagged, frozen, ...children, other]) assert.equal(await present(x === other ? 'ret/other' : repo, x.digest), true);

    const real = await execute(id, false);
    assert.deepEqual(
      real.tasks.map((t) => [t.repository, t.total, t.retained, t.deleted]),
      [[repo, 8, 5, 3]],
    );
    const deletedDigests = real.logs
      .get(repo)!
      .split('\n')
      .filter((l) => l.endsWith('| DELETED'))
      .map((l) => l.split(' | ')[0]);
    const listed = wouldGo.map((l) => l.split(' | ')[0]);
    assert.deepEqual(deletedDigests.sort(), listed.sort(), 'the run deletes exactly what the dry run listed');
    for (const gone of [b, untagged]) assert.equal(await present(repo, gone.digest), false);
    for (const kept of [a, c, d, frozen, ...children]) assert.equal(await present(repo, kept.digest), true);
    assert.equal(await present(repo, indexDigest), true);
    assert.equal((await v2fetch(`${r.url}/v2/${repo}/manifests/v1`, { method: 'HEAD' })).status, 200);
    assert.equal(await present('ret/other', other.digest), true, 'a repository no rule selects is left alone');
    const audit = (await (await api('GET', '/audit-logs?q=username=retention&page_size=20')).json()) as Array<{ operation: string; resource: string }>;
    assert.equal(audit.filter((e) => e.operation === 'delete').length, 3);
    assert.ok(audit.some((e) => e.resource.includes(b.digest)));
  });

  it('keeps an artifact whose tags changed after it was weighed', async () => {
    const repo = 'ret/race';
    const img = await pushImage(r.url, repo, 'v1');
    await pushImage(r.url, repo, 'v1');
    const repositoryId = (await findRepositoryId(r.db, repo))!;
    const place = { repository: repo, repositoryId };
    // Weighed untagged, then tagged before the delete: kept.
    assert.equal((await api('POST', `/projects/ret/repositories/race/artifacts/${img.digest}/tags`, { name: 'late' })).status, 201);
    const why = await retireManifest(r.db, place, img.digest, [], { username: 'retention', actorType: 'system' });
    assert.match(why ?? '', /its tags changed since it was weighed \(now late\)/);
    assert.equal(await present(repo, img.digest), true);
    assert.equal(await retireManifest(r.db, place, img.digest, ['late'], { username: 'retention', actorType: 'system' }), undefined);
    assert.equal(await present(repo, img.digest), false);
    assert.equal(await retireManifest(r.db, place, img.digest, ['late'], { username: 'retention', actorType: 'system' }), 'already deleted');
  });

  it('runs on its schedule once per tick, and stops when asked', async () => {
    await createProject(r.url, 'retsched');
    const pid = ((await (await api('GET', '/projects/retsched')).json()) as { project_id: number }).project_id;
    await pushImage(r.url, 'retsched/app', 'v1');
    const created = await api('POST', '/retentions', policy([rule({ template: 'always', tag: '**' })], '* * * * * *', pid));
    assert.equal(created.status, 201, await created.clone().text());
    const id = Number(created.headers.get('location')!.split('/').pop());
    const other = new RetentionRunner({ db: r.db, log: createLogger('silent') }, { leaseSeconds: 3, pollMs: 60_000 });
    await Promise.all([runner.tick(), other.tick()]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await Promise.all([runner.tick(), other.tick()]);
    const runs = (await (await api('GET', `/retentions/${id}/executions`)).json()) as Array<{ id: number; trigger: string; status: string }>;
    assert.ok(runs.length >= 1, 'a tick fired');
    assert.ok(runs.every((e) => e.trigger === 'SCHEDULE'));
    const ticks = new Set(runs.map((e) => e.id));
    assert.equal(ticks.size, runs.length);
    assert.ok(runs.length <= 2, `one run per tick however many servers fire it (${runs.length})`);
    assert.equal((await api('PUT', `/retentions/${id}`, policy([rule({ template: 'always', tag: '**' })], '', pid))).status, 200);

    // A Pending run stopped before any server takes it.
    const res = await api('POST', `/retentions/${id}/executions`, { dry_run: false });
    const eid = Number(res.headers.get('location')!.split('/').pop());
    assert.equal((await api('PATCH', `/retentions/${id}/executions/${eid}`, { action: 'pause' })).status, 400);
    assert.equal((await api('PATCH', `/retentions/${id}/executions/${eid}`, { action: 'stop' })).status, 200);
    await runner.tick();
    const stopped = ((await (await api('GET', `/retentions/${id}/executions`)).json()) as Array<{ id: number; status: string }>).find((e) => e.id === eid)!;
    assert.equal(stopped.status, 'Stopped');
    assert.equal((await api('PATCH', `/retentions/${id}/executions/${eid}`, { action: 'stop' })).status, 412);
    assert.equal((await api('GET', `/retentions/${id}/executions/${eid}/tasks/999999`)).status, 404);
  });
});
