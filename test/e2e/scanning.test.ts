// Vulnerability scanning with the real clients: docker pushes an image whose layer holds a
// dpkg database with a vulnerable package; Berth scans it on push through a scanner adapter
// (test/helpers/scannerAdapter.ts, which pulls the image back from Berth with the
// credential it was handed), and the project's pull gate then refuses docker's and
// skopeo's pulls, naming the CVE, until a project administrator allowlists it. And a project
// that requires signatures serves a docker-pushed image to docker and skopeo only once a
// cosign signature made with one of its keys is there.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { admin, basic, createProject } from '../helpers/api.js';
import { pushCosignSignature } from '../helpers/cosign.js';
import { startBerth, type BerthProcess } from '../helpers/berthProcess.js';
import { dpkgStatus, startScannerAdapter, type ScannerAdapter } from '../helpers/scannerAdapter.js';
import { credsFlag } from './support/auth.js';
import { containersEnv, skopeoRunner, type ClientRunner } from './support/containersTools.js';
import { dumpLogsOnFailure } from './support/diagnostics.js';
import { startDockerd, type Dockerd } from './support/dockerd.js';
import { makeScratchDir, removeScratchDir } from './support/scratch.js';
import { requireTool } from './support/tools.js';

const reportMime = 'application/vnd.security.vulnerability.report; version=1.1';

describe('e2e: the pull gate (vulnerabilities, signatures) with docker and skopeo', function () {
  this.timeout(180_000);
  let berth: BerthProcess | undefined;
  let adapter: ScannerAdapter | undefined;
  let dockerd: Dockerd | undefined;
  let skopeo: ClientRunner;
  let dir: string;

  const api = (method: string, p: string, body?: unknown) =>
    fetch(`${berth!.url}/api/v2.0${p}`, {
      method,
      headers: { Authorization: basic(admin), 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  before(async () => {
    requireTool('docker');
    requireTool('dockerd');
    const skopeoBin = requireTool('skopeo');
    dir = await makeScratchDir('scanning');
    adapter = await startScannerAdapter({
      advisories: [{ id: 'CVE-2099-1234', ecosystem: 'dpkg', package: 'libexample', fixedVersion: '2.0.0', severity: 'Critical' }],
    });
    // The adapter listens on loopback, which scanner URLs may target only when allowed.
    berth = await startBerth({ env: { BERTH_REPLICATION_ALLOW: 'loopback' } });
    const added = await api('POST', '/scanners', { name: 'test-adapter', url: adapter.url });
    assert.equal(added.status, 201, await added.text());
    await createProject(berth.url, 'scanned');
    const set = await api('PUT', '/projects/scanned', { metadata: { auto_scan: 'true', prevent_vul: 'true', severity: 'high' } });
    assert.equal(set.status, 200, await set.text());
    dockerd = await startDockerd(path.join(dir, 'dockerd'), berth.host);
    skopeo = skopeoRunner(skopeoBin, await containersEnv(path.join(dir, 'skopeo')));
  });

  afterEach(function () {
    dumpLogsOnFailure(this, [
      ['registry', () => berth?.output() ?? ''],
      ['dockerd', () => dockerd?.daemon.log() ?? ''],
    ]);
  });

  after(async () => {
    await dockerd?.stop();
    await berth?.dispose();
    await adapter?.close();
    await removeScratchDir(dir);
  });

  it('scans a docker-pushed image on push, refuses its pulls naming the CVE, and serves it once the CVE is allowlisted', async () => {
    const d = dockerd!;
    const config = await d.newClientConfig('admin');
    assert.match((await d.login(berth!.host, admin, config)).stdout, /Login Succeeded/);
    const context = path.join(dir, 'context');
    await mkdir(context, { recursive: true });
    await writeFile(path.join(context, 'status'), dpkgStatus([{ name: 'libexample', version: '1.4.2' }]));
    await writeFile(path.join(context, 'Dockerfile'), ['FROM scratch', 'COPY status /var/lib/dpkg/status', 'CMD ["/nothing"]', ''].join('\n'));
    const ref = `${berth!.host}/scanned/app:v1`;
    await d.docker(['build', '--network=none', '-t', ref, context]);
    await d.docker(['push', ref], { config });

    // The scan on push: the adapter pulled the image from Berth and found the package.
    const tags = (await (await api('GET', '/projects/scanned/repositories/app/artifacts?with_scan_overview=true')).json()) as Array<{
      digest: string;
      scan_overview: Record<string, { scan_status: string }>;
    }>;
    const digest = tags[0].digest;
    const scan = await adapter!.waitForScan(digest, 60_000);
    assert.equal(scan.state, 'done', scan.error);
    for (let i = 0; ; i++) {
      const a = (await (await api('GET', `/projects/scanned/repositories/app/artifacts/${digest}?with_scan_overview=true`)).json()) as {
        scan_overview: Record<string, { scan_status: string; severity: string }>;
      };
      if (a.scan_overview[reportMime]?.scan_status === 'Success') {
        assert.equal(a.scan_overview[reportMime].severity, 'Critical');
        break;
      }
      assert.ok(i < 300, 'the scan did not finish');
      await new Promise((res) => setTimeout(res, 100));
    }

    await d.docker(['rmi', ref]);
    const refused = await d.docker(['pull', ref], { config, allowFailure: true });
    assert.notEqual(refused.code, 0);
    assert.match(`${refused.stdout}\n${refused.stderr}`, /denied.*CVE-2099-1234/is);
    const skopeoRefused = await skopeo(['inspect', '--tls-verify=false', ...credsFlag('--creds', admin), `docker://${ref}`], { allowFailure: true });
    assert.notEqual(skopeoRefused.code, 0);
    assert.match(`${skopeoRefused.stdout}\n${skopeoRefused.stderr}`, /CVE-2099-1234/);

    const allow = await api('PUT', '/projects/scanned', {
      metadata: { reuse_sys_cve_allowlist: 'false' },
      cve_allowlist: { items: [{ cve_id: 'CVE-2099-1234' }] },
    });
    assert.equal(allow.status, 200, await allow.text());
    // Every worker process rereads a project's policy within 2 seconds (registry/pullGate.ts).
    await new Promise((res) => setTimeout(res, 2500));
    assert.match((await d.docker(['pull', ref], { config })).stdout, /Digest: sha256:/);
    await skopeo(['inspect', '--tls-verify=false', ...credsFlag('--creds', admin), `docker://${ref}`]);
  });

  it('serves a docker-pushed image in a project that requires signatures only once a trusted cosign signature is there', async () => {
    const d = dockerd!;
    const config = await d.newClientConfig('signer');
    await d.login(berth!.host, admin, config);
    await createProject(berth!.url, 'signed');
    const trusted = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const stranger = generateKeyPairSync('ed25519');
    const key = await api('POST', '/projects/signed/signing-keys', { name: 'ci', public_key: trusted.publicKey.export({ type: 'spki', format: 'pem' }) });
    assert.equal(key.status, 201, await key.text());
    const set = await api('PUT', '/projects/signed', { metadata: { require_signature: 'true' } });
    assert.equal(set.status, 200);
    const context = path.join(dir, 'signed-context');
    await mkdir(context, { recursive: true });
    await writeFile(path.join(context, 'hello.txt'), 'signed content\n');
    await writeFile(path.join(context, 'Dockerfile'), ['FROM scratch', 'COPY hello.txt /hello.txt', 'CMD ["/nothing"]', ''].join('\n'));
    const ref = `${berth!.host}/signed/app:v1`;
    await d.docker(['build', '--network=none', '-t', ref, context]);
    await d.docker(['push', ref], { config });
    const head = await fetch(`${berth!.url}/v2/signed/app/manifests/v1`, {
      method: 'HEAD',
      headers: { Authorization: basic(admin), Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
    });
    const digest = head.headers.get('docker-content-digest')!;
    // Every worker process rereads a project's policy within 2 seconds (registry/pullGate.ts).
    await new Promise((res) => setTimeout(res, 2500));
    await d.docker(['rmi', ref]);
    const unsigned = await d.docker(['pull', ref], { config, allowFailure: true });
    assert.notEqual(unsigned.code, 0);
    assert.match(`${unsigned.stdout}\n${unsigned.stderr}`, /denied.*no cosign signature/is);
    // Signed with a key the project does not trust: still refused.
    await pushCosignSignature(berth!.url, 'signed/app', digest, stranger.privateKey, { mode: 'referrer' });
    const untrusted = await skopeo(['inspect', '--tls-verify=false', ...credsFlag('--creds', admin), `docker://${ref}`], { allowFailure: true });
    assert.notEqual(untrusted.code, 0);
    assert.match(`${untrusted.stdout}\n${untrusted.stderr}`, /trusted key/);
    await pushCosignSignature(berth!.url, 'signed/app', digest, trusted.privateKey);
    assert.match((await d.docker(['pull', ref], { config })).stdout, /Digest: sha256:/);
    await skopeo(['inspect', '--tls-verify=false', ...credsFlag('--creds', admin), `docker://${ref}`]);
  });
});
