// The audit log from the outside: skopeo pushes and pulls through a real Berth process
// (cluster workers on PostgreSQL), the server is stopped at once with SIGTERM, and after a
// restart the push, the pull and the logins are each there once, intact, and were also
// forwarded to a syslog listener as they were written.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import path from 'node:path';
import { addMember, admin, basic, createProject, createUser } from '../helpers/api.js';
import { startBerth, type BerthProcess } from '../helpers/berthProcess.js';
import { credsFlag } from './support/auth.js';
import { containersEnv, skopeoRunner } from './support/containersTools.js';
import { makeLayers } from './support/content.js';
import { dumpLogsOnFailure } from './support/diagnostics.js';
import { buildOciImage, writeOciLayout } from './support/ociImage.js';
import { makeScratchDir, removeScratchDir } from './support/scratch.js';
import { requireTool } from './support/tools.js';

interface Row {
  username: string;
  operation: string;
  resource_type: string;
  resource: string;
  is_successful: boolean;
  count: number;
  user_agent: string | null;
  client_address: string | null;
}

describe(`e2e: audit log`, () => {
  let first: BerthProcess | undefined;
  let second: BerthProcess | undefined;
  let dir: string | undefined;
  let syslog: dgram.Socket | undefined;
  const received: string[] = [];

  before(async () => {
    dir = await makeScratchDir('audit');
    syslog = dgram.createSocket('udp4');
    syslog.on('message', (m) => received.push(m.toString('utf8')));
    await new Promise<void>((done) => syslog!.bind(0, '127.0.0.1', () => done()));
  });
  afterEach(function () {
    dumpLogsOnFailure(this, [
      ['first berth', () => first?.output() ?? ''],
      ['second berth', () => second?.output() ?? ''],
    ]);
  });
  after(async () => {
    await second?.dispose();
    await first?.dispose();
    syslog?.close();
    await removeScratchDir(dir);
  });

  it('records a skopeo push and pull once each, keeps them across a SIGTERM, and forwards them to syslog', async () => {
    const skopeo = skopeoRunner(requireTool('skopeo'), await containersEnv(path.join(dir!, 'containers')));
    const env = { BERTH_AUDIT_SYSLOG: `udp://127.0.0.1:${syslog!.address().port}` };
    first = await startBerth({ env });
    const creds = { username: 'auditor', password: 'E2e-Pusher-Pass-1' };
    await createProject(first.url, 'e2e');
    await createUser(first.url, creds.username, creds.password);
    await addMember(first.url, 'e2e', creds.username, 2);
    const image = buildOciImage(makeLayers('audit'));
    await writeOciLayout(path.join(dir!, 'src'), image, 'v1');
    const ref = `docker://${first.host}/e2e/audit-img:v1`;
    await skopeo(['copy', '--dest-tls-verify=false', ...credsFlag('--dest-creds', creds), `oci:${dir}/src:v1`, ref]);
    await skopeo(['copy', '--src-tls-verify=false', ...credsFlag('--src-creds', creds), ref, `oci:${dir}/back:v1`]);
    // Straight away: the pull's row may still be queued in a worker; SIGTERM must write it.
    await first.stop();

    second = await startBerth({ env, dataDir: first.dataDir, database: { url: first.databaseUrl! } });
    const res = await fetch(`${second.url}/api/v2.0/audit-logs?page_size=100&q=username=auditor`, { headers: { Authorization: basic(admin) } });
    const rows = (await res.json()) as Row[];
    const artifact = `e2e/audit-img:v1@${image.manifestDigest}`;
    const pushes = rows.filter((r) => r.operation === 'create' && r.resource_type === 'artifact');
    const pulls = rows.filter((r) => r.operation === 'pull');
    assert.deepEqual(
      pushes.map((r) => r.resource),
      [artifact],
      JSON.stringify(rows, null, 1),
    );
    assert.deepEqual(
      pulls.map((r) => [r.resource, r.count]),
      [[artifact, 1]],
    );
    for (const r of [...pushes, ...pulls]) {
      assert.match(r.user_agent ?? '', /skopeo|containers/i);
      assert.equal(r.client_address, '127.0.0.1');
      assert.equal(r.is_successful, true);
    }
    const logins = rows.filter((r) => r.operation === 'login');
    assert.ok(
      logins.reduce((n, r) => n + r.count, 0) >= 2 && logins.every((r) => r.is_successful && r.resource === 'auditor'),
      'each token request is a login',
    );
    assert.ok(
      rows.every((r) => r.operation !== 'create' || r.resource_type !== 'blob'),
      'blob uploads are not artifact pushes',
    );

    const verified = await (await fetch(`${second.url}/api/v2.0/audit-logs/verify`, { headers: { Authorization: basic(admin) } })).json();
    assert.equal(verified.intact, true);

    const deadline = Date.now() + 10_000;
    const forwarded = () => received.filter((m) => m.includes(`"resource":"${artifact}"`));
    while (forwarded().length < 2 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 100));
    assert.deepEqual(
      forwarded()
        .map((m) => JSON.parse(/\{.*\}/.exec(m)![0]).operation)
        .sort(),
      ['create', 'pull'],
    );
  });
});
