// Vulnerability scanning through Harbor's scanner adapter API, against a real adapter on
// loopback (test/helpers/scannerAdapter.ts) that pulls the image from Berth with the
// credential it is handed and reads the dpkg and apk databases in its layers: registrations,
// scan on push and on demand, the report and the overview, the one-repository pull-only
// credential, the pull gate with allowlists, failures, stop, and "scan all".
import assert from 'node:assert/strict';
import { admin, basic, createProject, createUser, addMember } from '../helpers/api.js';
import { startTestRegistry, startTestScanRunner, type TestRegistry } from '../helpers/inProcess.js';
import { apkInstalled, dpkgStatus, startScannerAdapter, tarLayer, type ScannerAdapter } from '../helpers/scannerAdapter.js';
import { asBody, pushBlob, pushImage, sha256, v2fetch } from '../helpers/v2client.js';
import type { ScanRunner } from '../../server/scanning/runner.js';

const json = { Authorization: basic(admin), 'Content-Type': 'application/json' };
const reportMime = 'application/vnd.security.vulnerability.report; version=1.1';
const apiKey = 'adapter-key-for-tests';

const advisories = [
  { id: 'CVE-2099-0001', ecosystem: 'dpkg' as const, package: 'openssl', fixedVersion: '3.0.12', severity: 'High' as const },
  { id: 'CVE-2099-0002', ecosystem: 'dpkg' as const, package: 'zlib', fixedVersion: '1.2.12', severity: 'Critical' as const },
  { id: 'CVE-2099-0003', ecosystem: 'apk' as const, package: 'busybox', severity: 'Medium' as const },
];

/** An image whose layers are real gzip tars holding the given package databases. */
async function pushPackagesImage(base: string, repo: string, tag: string, files: Record<string, string>): Promise<string> {
  const layer = await tarLayer(files);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, tag }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await pushBlob(base, repo, config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await pushBlob(base, repo, layer), size: layer.length }],
    }),
  );
  const res = await v2fetch(`${base}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    body: asBody(manifest),
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  assert.equal(res.status, 201, await res.text());
  return sha256(manifest);
}

const vulnerableFiles = {
  'var/lib/dpkg/status': dpkgStatus([
    { name: 'openssl', version: '3.0.11' },
    { name: 'zlib', version: '1.2.13' },
  ]),
};

describe('vulnerability scanning', function () {
  this.timeout(90_000);
  let r: TestRegistry;
  let adapter: ScannerAdapter;
  let runner: ScanRunner;
  let scannerUuid: string;

  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = json) =>
    fetch(`${r.url}/api/v2.0${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const ok = async (res: Response, status = 200) => {
    assert.equal(res.status, status, await res.clone().text());
    return res;
  };
  const summaryOf = async (project: string, repo: string, digest: string) => {
    const a = (await (await ok(await api('GET', `/projects/${project}/repositories/${repo}/artifacts/${digest}?with_scan_overview=true`))).json()) as {
      scan_overview: Record<
        string,
        { scan_status: string; severity: string; summary: { total: number; fixable: number; summary: Record<string, number> } | null }
      >;
    };
    return a.scan_overview[reportMime];
  };
  const waitFor = async (what: string, check: () => Promise<boolean>, ms = 20_000) => {
    const until = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  };
  const scanned = (project: string, repo: string, digest: string, status = 'Success') =>
    waitFor(`scan of ${digest} to end ${status}`, async () => (await summaryOf(project, repo, digest))?.scan_status === status);
  const pull = (repo: string, ref: string, headers: Record<string, string> = { Authorization: basic(admin) }) =>
    fetch(`${r.url}/v2/${repo}/manifests/${ref}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json', ...headers } });

  before(async () => {
    r = await startTestRegistry();
    adapter = await startScannerAdapter({
      advisories,
      requireHeader: { name: 'x-scanneradapter-api-key', value: apiKey },
      pendingPolls: 1,
      refreshAfterSeconds: 1,
    });
    runner = startTestScanRunner(r);
  });
  after(async () => {
    await runner?.stop();
    await adapter?.close();
    await r?.close();
  });

  it('registers a scanner: ping, the first becomes the default, the credential is sealed and masked, clashes and bad input refused', async () => {
    const settings = { name: 'trivy', url: adapter.url, auth: 'X-ScannerAdapter-API-Key', access_credential: apiKey };
    const ping = (await (await ok(await api('POST', '/scanners/ping', settings))).json()) as { scanner: { name: string } };
    assert.equal(ping.scanner.name, 'berth-test-scanner');
    const wrongKey = await api('POST', '/scanners/ping', { ...settings, access_credential: 'nope' });
    assert.equal(wrongKey.status, 422);
    assert.match(await wrongKey.text(), /401/);
    const created = await ok(await api('POST', '/scanners', { ...settings, description: 'test adapter' }), 201);
    scannerUuid = created.headers.get('location')!.split('/').pop()!;
    const got = (await (await ok(await api('GET', `/scanners/${scannerUuid}`))).json()) as Record<string, unknown>;
    assert.equal(got.is_default, true);
    assert.equal(got.access_credential, '*****');
    const { rows } = await r.db.query<{ access_credential_enc: string }>('SELECT access_credential_enc FROM scanners');
    assert.ok(!rows[0].access_credential_enc.includes(apiKey));
    const metadata = (await (await ok(await api('GET', `/scanners/${scannerUuid}/metadata`))).json()) as { capabilities: unknown[] };
    assert.equal(metadata.capabilities.length, 1);
    assert.equal((await api('POST', '/scanners', settings)).status, 409);
    assert.equal((await api('POST', '/scanners', { ...settings, name: 'bad', url: 'ftp://x' })).status, 400);
    assert.equal((await api('POST', '/scanners', { ...settings, name: 'meta', url: 'http://169.254.169.254' })).status, 400);
    assert.equal((await api('POST', '/scanners', { name: 'nokey', url: 'http://127.0.0.1:1', auth: 'Bearer' })).status, 400);
    await createUser(r.url, 'dev1', 'Dev-Pass-12345');
    const asDev = { Authorization: basic({ username: 'dev1', password: 'Dev-Pass-12345' }), 'Content-Type': 'application/json' };
    assert.equal((await api('GET', '/scanners', undefined, asDev)).status, 403);
    const list = await ok(await api('GET', '/scanners'));
    assert.equal(list.headers.get('x-total-count'), '1');
  });

  it('scans on push through a pull-only credential for that one repository, stores the report and shows the overview', async () => {
    await createProject(r.url, 'sec');
    await ok(await api('PUT', '/projects/sec', { metadata: { auto_scan: 'true' } }));
    const project = (await (await ok(await api('GET', '/projects/sec'))).json()) as { metadata: Record<string, string> };
    assert.equal(project.metadata.auto_scan, 'true');
    assert.equal(((await (await ok(await api('GET', '/projects/sec/scanner'))).json()) as { uuid: string }).uuid, scannerUuid);
    // Another repository the credential must not reach.
    await pushImage(r.url, 'sec/other', 'v1');
    const digest = await pushPackagesImage(r.url, 'sec/app', 'v1', {
      ...vulnerableFiles,
      'lib/apk/db/installed': apkInstalled([{ name: 'busybox', version: '1.36.1-r0' }]),
    });
    const scan = await adapter.waitForScan(digest);
    assert.equal(scan.state, 'done', scan.error);
    assert.equal(scan.request.artifact.repository, 'sec/app');
    assert.equal(scan.request.artifact.tag, 'v1');
    assert.equal(scan.request.registry.url, r.url);
    assert.ok(
      scan.registryRequests.some((l) => /^GET \/v2\/sec\/app\/blobs\/sha256:\S+ 200$/.test(l)),
      scan.registryRequests.join('\n'),
    );
    await scanned('sec', 'app', digest);
    const overview = await summaryOf('sec', 'app', digest);
    assert.equal(overview.severity, 'High');
    assert.deepEqual(overview.summary, { total: 2, fixable: 1, summary: { High: 1, Medium: 1 } });
    const report = (await (await ok(await api('GET', `/projects/sec/repositories/app/artifacts/${digest}/additions/vulnerabilities`))).json()) as Record<
      string,
      { vulnerabilities: Array<{ id: string }> }
    >;
    assert.deepEqual(report[reportMime].vulnerabilities.map((v) => v.id).sort(), ['CVE-2099-0001', 'CVE-2099-0003']);
    // The credential the adapter was handed: pull in sec/app only, and void once the scan ended.
    const authorization = scan.request.registry.authorization!;
    assert.match(authorization, /^Basic /);
    assert.equal((await pull('sec/app', 'v1', { Authorization: authorization })).status, 401, 'void after the scan');
    const { rows } = await r.db.query<{ credential_hash: string | null; status: string }>(
      'SELECT credential_hash, status FROM scan_tasks t JOIN manifests m ON m.id = t.manifest_id WHERE m.digest = $1',
      [digest],
    );
    assert.deepEqual(rows, [{ credential_hash: null, status: 'Success' }]);
    await r.flushAudit();
    const audit = await r.db.query<{ operation: string; resource: string; username: string }>(
      "SELECT operation, resource, username FROM audit_log WHERE operation = 'scan' ORDER BY id",
    );
    assert.ok(audit.rows.some((a) => a.username === 'scanner' && /sec\/app@sha256:\S+: 2 vulnerabilities, severity High/.test(a.resource)));
  });

  it('holds the scan credential to pulls of the one repository while the scan runs', async () => {
    // A scan that waits long at the adapter: its credential is live meanwhile.
    const slow = await startScannerAdapter({ advisories, pendingPolls: 1000, refreshAfterSeconds: 1 });
    try {
      await createProject(r.url, 'cred');
      const created = await ok(await api('POST', '/scanners', { name: 'slow', url: slow.url }), 201);
      await ok(await api('PUT', '/projects/cred/scanner', { uuid: created.headers.get('location')!.split('/').pop() }));
      await pushImage(r.url, 'cred/other', 'v1');
      const digest = await pushPackagesImage(r.url, 'cred/app', 'v1', vulnerableFiles);
      await ok(await api('POST', `/projects/cred/repositories/app/artifacts/${digest}/scan`), 202);
      const scan = await slow.waitForScan(digest);
      const authorization = scan.request.registry.authorization!;
      assert.equal((await pull('cred/app', digest, { Authorization: authorization })).status, 200);
      assert.equal((await pull('cred/other', 'v1', { Authorization: authorization })).status, 403);
      const push = await fetch(`${r.url}/v2/cred/app/blobs/uploads/`, { method: 'POST', headers: { Authorization: authorization } });
      assert.equal(push.status, 403);
      // Through the token endpoint, as go-containerregistry does it: pull on cred/app only.
      const token = (await (
        await fetch(`${r.url}/service/token?service=berth&scope=repository:cred/app:pull,push&scope=repository:cred/other:pull`, {
          headers: { Authorization: authorization },
        })
      ).json()) as { token: string };
      const claims = JSON.parse(Buffer.from(token.token.split('.')[1], 'base64url').toString()) as { access: Array<{ name: string; actions: string[] }> };
      assert.deepEqual(claims.access, [
        { type: 'repository', name: 'cred/app', actions: ['pull'] },
        { type: 'repository', name: 'cred/other', actions: [] },
      ]);
      // A forged secret is refused.
      const [user] = Buffer.from(authorization.slice(6), 'base64').toString().split(':');
      assert.equal((await pull('cred/app', digest, { Authorization: `Basic ${Buffer.from(`${user}:guess`).toString('base64')}` })).status, 401);
      // Stopping the scan voids it.
      await ok(await api('POST', `/projects/cred/repositories/app/artifacts/${digest}/scan/stop`), 202);
      assert.equal((await pull('cred/app', digest, { Authorization: authorization })).status, 401);
      assert.equal((await summaryOf('cred', 'app', digest)).scan_status, 'Stopped');
      assert.equal((await api('POST', `/projects/cred/repositories/app/artifacts/${digest}/scan/stop`)).status, 412);
    } finally {
      await slow.close();
    }
  });

  it('refuses pulls of vulnerable images where the project prevents them, until the CVEs are allowlisted', async () => {
    await createProject(r.url, 'gate');
    await ok(await api('PUT', '/projects/gate', { metadata: { auto_scan: 'true', prevent_vul: 'true', severity: 'high' } }));
    const digest = await pushPackagesImage(r.url, 'gate/app', 'v1', vulnerableFiles);
    const clean = await pushPackagesImage(r.url, 'gate/clean', 'v1', { 'var/lib/dpkg/status': dpkgStatus([{ name: 'zlib', version: '1.2.13' }]) });
    const denied = async (res: Response, pattern: RegExp) => {
      assert.equal(res.status, 403);
      const e = ((await res.json()) as { errors: Array<{ code: string; message: string }> }).errors[0];
      assert.equal(e.code, 'DENIED');
      assert.match(e.message, pattern);
    };
    // Pushes are never blocked; until the scan succeeds the image is held back.
    await scanned('gate', 'app', digest);
    await scanned('gate', 'clean', clean);
    await denied(await pull('gate/app', 'v1'), /has 1 vulnerability at or above High: CVE-2099-0001 \(High\)/);
    await denied(await pull('gate/app', digest), /CVE-2099-0001/);
    assert.equal((await pull('gate/clean', 'v1')).status, 200);
    // HEAD only asks whether it changed; the layers stay readable to whoever may pull.
    assert.equal((await fetch(`${r.url}/v2/gate/app/manifests/v1`, { method: 'HEAD', headers: { Authorization: basic(admin) } })).status, 200);
    // The project's own allowlist once it stops reusing the system's.
    await ok(await api('PUT', '/projects/gate', { metadata: { reuse_sys_cve_allowlist: 'false' }, cve_allowlist: { items: [{ cve_id: 'CVE-2099-0001' }] } }));
    assert.equal((await pull('gate/app', 'v1')).status, 200);
    const shown = (await (await ok(await api('GET', '/projects/gate'))).json()) as { cve_allowlist: { items: Array<{ cve_id: string }> } };
    assert.deepEqual(shown.cve_allowlist.items, [{ cve_id: 'CVE-2099-0001' }]);
    // An expired list exempts nothing.
    await ok(await api('PUT', '/projects/gate', { cve_allowlist: { items: [{ cve_id: 'CVE-2099-0001' }], expires_at: Math.floor(Date.now() / 1000) - 60 } }));
    await denied(await pull('gate/app', 'v1'), /CVE-2099-0001/);
    // The system's list, while the project reuses it.
    await ok(await api('PUT', '/projects/gate', { metadata: { reuse_sys_cve_allowlist: 'true' } }));
    await denied(await pull('gate/app', 'v1'), /CVE-2099-0001/);
    await ok(await api('PUT', '/system/CVEAllowlist', { items: [{ cve_id: 'CVE-2099-0001' }], expires_at: null }));
    assert.equal((await pull('gate/app', 'v1')).status, 200);
    assert.deepEqual(((await (await ok(await api('GET', '/system/CVEAllowlist'))).json()) as { items: unknown[] }).items, [{ cve_id: 'CVE-2099-0001' }]);
    await ok(await api('PUT', '/system/CVEAllowlist', { items: [] }));
    // A higher threshold lets High through; "none" refuses any finding.
    await ok(await api('PUT', '/projects/gate', { metadata: { severity: 'critical' } }));
    assert.equal((await pull('gate/app', 'v1')).status, 200);
    await ok(await api('PUT', '/projects/gate', { metadata: { severity: 'high' } }));
    // Bad settings are refused.
    assert.equal((await api('PUT', '/projects/gate', { metadata: { severity: 'severe' } })).status, 400);
    assert.equal((await api('PUT', '/projects/gate', { cve_allowlist: { items: [{ cve_id: 'not a cve' }] } })).status, 400);
    assert.equal((await api('PUT', '/system/CVEAllowlist', { items: [], expires_at: 'soon' })).status, 400);
    // A guest of the project is refused too, and each refusal is audited.
    await createUser(r.url, 'guest1', 'Guest-Pass-12345');
    await addMember(r.url, 'gate', 'guest1', 3);
    await denied(await pull('gate/app', 'v1', { Authorization: basic({ username: 'guest1', password: 'Guest-Pass-12345' }) }), /CVE-2099-0001/);
    await r.flushAudit();
    const refused = await r.db.query<{ username: string; resource: string; error_code: string }>(
      "SELECT username, resource, error_code FROM audit_log WHERE operation = 'pull' AND NOT is_successful AND project_name = 'gate' ORDER BY id",
    );
    // Identical refusals from one caller are counted on one row by the audit writer.
    assert.ok(refused.rows.length >= 3, JSON.stringify(refused.rows));
    assert.ok(refused.rows.some((a) => a.username === 'guest1' && a.error_code === 'DENIED' && /gate\/app:v1@sha256:\S+: .*CVE-2099-0001/.test(a.resource)));
  });

  it('holds back an image never scanned successfully, and lets artifacts that are not images through', async () => {
    await createProject(r.url, 'unscanned');
    await ok(await api('PUT', '/projects/unscanned', { metadata: { prevent_vul: 'true' } }));
    const digest = await pushPackagesImage(r.url, 'unscanned/app', 'v1', vulnerableFiles);
    const res = await pull('unscanned/app', 'v1');
    assert.equal(res.status, 403);
    assert.match(await res.text(), /has not been scanned successfully/);
    // A signature-like artifact (its layer is not a filesystem) and an index are not gated.
    const payload = Buffer.from('{"critical":{}}');
    const config = Buffer.from('{}');
    const sig = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await pushBlob(r.url, 'unscanned/app', config), size: config.length },
        layers: [
          { mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: await pushBlob(r.url, 'unscanned/app', payload), size: payload.length },
        ],
      }),
    );
    await ok(
      await v2fetch(`${r.url}/v2/unscanned/app/manifests/sig`, {
        method: 'PUT',
        body: asBody(sig),
        headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      }),
      201,
    );
    assert.equal((await pull('unscanned/app', 'sig')).status, 200);
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 1 }],
      }),
    );
    await ok(
      await v2fetch(`${r.url}/v2/unscanned/app/manifests/multi`, {
        method: 'PUT',
        body: asBody(index),
        headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' },
      }),
      201,
    );
    assert.equal(
      (
        await fetch(`${r.url}/v2/unscanned/app/manifests/multi`, {
          headers: { Authorization: basic(admin), Accept: 'application/vnd.oci.image.index.v1+json' },
        })
      ).status,
      200,
    );
    // Scanning the index scans its image, which then passes or not on its own findings.
    await ok(await api('POST', '/projects/unscanned/repositories/app/artifacts/multi/scan'), 202);
    await scanned('unscanned', 'app', digest);
    const again = await pull('unscanned/app', digest);
    assert.equal(again.status, 403);
    assert.match(await again.text(), /1 vulnerability at or above Low: CVE-2099-0001 \(High\)/);
    // A signature cannot be scanned.
    assert.equal((await api('POST', '/projects/unscanned/repositories/app/artifacts/sig/scan')).status, 405);
  });

  it('records a failed scan (the report answers 500), retries an adapter that cannot be reached, and keeps the last result', async () => {
    await createProject(r.url, 'fails');
    const digest = await pushPackagesImage(r.url, 'fails/app', 'v1', vulnerableFiles);
    adapter.mode = 'fail-report';
    try {
      await ok(await api('POST', '/projects/fails/repositories/app/artifacts/v1/scan'), 202);
      await scanned('fails', 'app', digest, 'Error');
    } finally {
      adapter.mode = 'ok';
    }
    assert.equal((await summaryOf('fails', 'app', digest)).summary, null);
    await ok(await api('POST', '/projects/fails/repositories/app/artifacts/v1/scan'), 202);
    await scanned('fails', 'app', digest);
    // Unreachable: retried, then Error after the attempts; the earlier result stays in force.
    const down = await ok(await api('POST', '/scanners', { name: 'down', url: 'http://127.0.0.1:9' }), 201);
    await ok(await api('PUT', '/projects/fails/scanner', { uuid: down.headers.get('location')!.split('/').pop() }));
    await ok(await api('POST', '/projects/fails/repositories/app/artifacts/v1/scan'), 202);
    await scanned('fails', 'app', digest, 'Error');
    const last = await summaryOf('fails', 'app', digest);
    assert.equal(last.summary?.total, 1);
    const { rows } = await r.db.query<{ attempts: number; error: string }>(
      "SELECT attempts, error FROM scan_tasks t JOIN scanners s ON s.id = t.scanner_id WHERE s.name = 'down'",
    );
    assert.equal(rows[0].attempts, 4);
    assert.match(rows[0].error, /cannot reach the scanner .*after 5 attempts/);
    await r.flushAudit();
    const audit = await r.db.query<{ is_successful: boolean; error_code: string }>(
      "SELECT is_successful, error_code FROM audit_log WHERE operation = 'scan' AND resource LIKE 'fails/app%' AND NOT is_successful",
    );
    assert.equal(audit.rows.length, 2);
  });

  it('scans everything on demand and on a schedule, and reports its metrics', async () => {
    await createProject(r.url, 'all');
    const a = await pushPackagesImage(r.url, 'all/one', 'v1', vulnerableFiles);
    const b = await pushPackagesImage(r.url, 'all/two', 'v1', { 'lib/apk/db/installed': apkInstalled([{ name: 'busybox', version: '1.36.1-r0' }]) });
    await ok(await api('POST', '/system/scanAll/schedule', { schedule: { type: 'Manual' } }), 201);
    await scanned('all', 'one', a);
    await scanned('all', 'two', b);
    await waitFor('scan all to finish', async () => {
      const m = (await (await ok(await api('GET', '/scans/all/metrics'))).json()) as { ongoing: boolean; total: number };
      return !m.ongoing && m.total > 0;
    });
    const m = (await (await ok(await api('GET', '/scans/all/metrics'))).json()) as {
      total: number;
      completed: number;
      metrics: Record<string, number>;
      trigger: string;
    };
    assert.equal(m.trigger, 'Manual');
    assert.equal(m.total, m.completed);
    assert.ok(m.metrics.Success >= 2);
    await ok(await api('PUT', '/system/scanAll/schedule', { schedule: { type: 'Custom', cron: '* * * * * *' } }));
    const s = (await (await ok(await api('GET', '/system/scanAll/schedule'))).json()) as { schedule: { type: string; next_scheduled_time: string } };
    assert.equal(s.schedule.type, 'Custom');
    await waitFor(
      'a scheduled run',
      async () => ((await (await ok(await api('GET', '/scans/schedule/metrics'))).json()) as { trigger: string }).trigger === 'Schedule',
    );
    await ok(await api('PUT', '/system/scanAll/schedule', { schedule: { type: 'None' } }));
    assert.equal((await api('PUT', '/system/scanAll/schedule', { schedule: { type: 'Custom', cron: 'never' } })).status, 400);
  });
});
