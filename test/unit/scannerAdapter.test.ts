import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Advisory,
  apkInstalled,
  dpkgStatus,
  type HarborVulnerabilityReport,
  type ScannerAdapter,
  startScannerAdapter,
  tarLayer,
} from '../helpers/scannerAdapter.js';

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const basicAuth = `Basic ${Buffer.from('scanner:scanner-pw').toString('base64')}`;
const TOKEN = 'tiny-registry-token';
const SCAN_REQUEST = 'application/vnd.scanner.adapter.scan.request+json; version=1.0';
const REPORT = 'application/vnd.security.vulnerability.report; version=1.1';

const advisories: Advisory[] = [
  { id: 'CVE-TEST-OPENSSL', ecosystem: 'dpkg', package: 'openssl', fixedVersion: '1.1.2', severity: 'High', description: 'openssl before 1.1.2' },
  { id: 'CVE-TEST-ZLIB', ecosystem: 'dpkg', package: 'zlib', fixedVersion: '1.2.12', severity: 'Medium' },
  { id: 'CVE-TEST-BUSYBOX', ecosystem: 'apk', package: 'busybox', severity: 'Critical' },
];

interface TinyRegistry {
  url: string;
  /** The scope of every token request, in order. */
  scopes: string[];
  close(): Promise<void>;
}

/**
 * A registry on node:http behind the Docker token flow: /v2 answers 401 with a Bearer challenge
 * unless the token is presented, /token hands it out for the right Basic credentials, and blob
 * GETs redirect to a storage path, as a registry on object storage does.
 */
async function startTinyRegistry(manifests: Map<string, Buffer>, blobs: Map<string, Buffer>): Promise<TinyRegistry> {
  const scopes: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://registry');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (url.pathname === '/token') {
      if (req.headers.authorization !== basicAuth) return void res.writeHead(401).end();
      scopes.push(url.searchParams.get('scope') ?? '');
      return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: TOKEN }));
    }
    const storage = /^\/storage\/(sha256:[0-9a-f]+)$/.exec(url.pathname);
    if (storage) {
      const blob = blobs.get(storage[1]);
      return void (blob ? res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(blob) : res.writeHead(404).end());
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${base}/token",service="tiny-registry"` });
      return void res.end();
    }
    if (url.pathname === '/v2/') return void res.writeHead(200).end('{}');
    const manifest = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(url.pathname);
    if (manifest && manifests.has(manifest[2])) {
      return void res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifests.get(manifest[2]));
    }
    const blob = /^\/v2\/(.+)\/blobs\/(.+)$/.exec(url.pathname);
    if (blob && blobs.has(blob[2])) return void res.writeHead(307, { Location: `/storage/${blob[2]}` }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    scopes,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function imageManifest(config: Buffer, layers: Array<{ digest: string; size: number }>): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
    }),
  );
}

function postScan(adapter: ScannerAdapter, registry: string, digest: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${adapter.url}/api/v1/scan`, {
    method: 'POST',
    headers: { 'Content-Type': SCAN_REQUEST, ...headers },
    body: JSON.stringify({ registry: { url: registry, authorization: basicAuth }, artifact: { repository: 'p/app', digest } }),
  });
}

describe('test helper: scanner adapter', () => {
  let registry: TinyRegistry;
  let imageDigest: string;
  let brokenDigest: string;
  const adapters: ScannerAdapter[] = [];
  const start = async (opts: Partial<Parameters<typeof startScannerAdapter>[0]> = {}) => {
    const adapter = await startScannerAdapter({ advisories, ...opts });
    adapters.push(adapter);
    return adapter;
  };

  before(async () => {
    const debianLayer = await tarLayer({
      'var/lib/dpkg/status': dpkgStatus([
        { name: 'openssl', version: '1.1.1' },
        { name: 'zlib', version: '1.2.13' },
      ]),
      'etc/hostname': 'scanned\n',
    });
    const alpineLayer = await tarLayer({ 'lib/apk/db/installed': apkInstalled([{ name: 'busybox', version: '1.36.1-r0' }]) });
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const blobs = new Map([debianLayer, alpineLayer, config].map((b) => [sha256(b), b]));
    const manifest = imageManifest(config, [
      { digest: sha256(debianLayer), size: debianLayer.length },
      { digest: sha256(alpineLayer), size: alpineLayer.length },
    ]);
    // The registry serves the alpine layer under a digest that is not its own.
    const wrongDigest = sha256(Buffer.from('something else'));
    blobs.set(wrongDigest, alpineLayer);
    const broken = imageManifest(config, [{ digest: wrongDigest, size: alpineLayer.length }]);
    imageDigest = sha256(manifest);
    brokenDigest = sha256(broken);
    registry = await startTinyRegistry(
      new Map([
        [imageDigest, manifest],
        [brokenDigest, broken],
      ]),
      blobs,
    );
  });

  afterEach(async () => {
    await Promise.all(adapters.splice(0).map((a) => a.close()));
  });

  after(async () => {
    await registry?.close();
  });

  it('describes itself at /api/v1/metadata', async () => {
    const adapter = await start();
    const res = await fetch(`${adapter.url}/api/v1/metadata`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.scanner.adapter.metadata+json; version=1.0');
    const body = (await res.json()) as {
      scanner: { name: string };
      capabilities: Array<{ produces_mime_types: string[] }>;
      properties: Record<string, string>;
    };
    assert.equal(body.scanner.name, 'berth-test-scanner');
    assert.ok(body.capabilities[0].produces_mime_types.includes(REPORT));
    assert.equal(body.properties['harbor.scanner-adapter/scanner-type'], 'os-package-vulnerability');
  });

  it('pulls the image through the token flow and reports the vulnerable packages of every layer', async () => {
    const adapter = await start();
    const accepted = await postScan(adapter, registry.url, imageDigest);
    assert.equal(accepted.status, 202);
    assert.equal(accepted.headers.get('content-type'), 'application/vnd.scanner.adapter.scan.response+json; version=1.0');
    const { id } = (await accepted.json()) as { id: string };

    const reportUrl = `${adapter.url}/api/v1/scan/${id}/report`;
    const first = await fetch(reportUrl, { headers: { Accept: REPORT }, redirect: 'manual' });
    assert.equal(first.status, 302);
    assert.equal(first.headers.get('refresh-after'), '1');

    const scan = await adapter.waitForScan(imageDigest);
    assert.equal(scan.state, 'done', scan.error);
    assert.equal(scan.id, id);
    assert.deepEqual(registry.scopes, ['repository:p/app:pull']);
    assert.ok(scan.registryRequests.includes(`GET /v2/p/app/manifests/${imageDigest} 200`), scan.registryRequests.join('\n'));
    assert.ok(
      scan.registryRequests.some((r) => /^GET \/v2\/p\/app\/blobs\/sha256:\w+ 307$/.test(r)),
      scan.registryRequests.join('\n'),
    );

    const served = await fetch(reportUrl, { headers: { Accept: REPORT }, redirect: 'manual' });
    assert.equal(served.status, 200);
    assert.equal(served.headers.get('content-type'), REPORT);
    const report = (await served.json()) as HarborVulnerabilityReport;
    assert.equal(report.severity, 'Critical');
    assert.deepEqual(report.artifact, { repository: 'p/app', digest: imageDigest, mime_type: 'application/vnd.oci.image.manifest.v1+json' });
    assert.deepEqual(
      report.vulnerabilities.sort((a, b) => a.id.localeCompare(b.id)),
      [
        {
          id: 'CVE-TEST-BUSYBOX',
          package: 'busybox',
          version: '1.36.1-r0',
          severity: 'Critical',
          links: ['https://advisories.test/CVE-TEST-BUSYBOX'],
        },
        {
          id: 'CVE-TEST-OPENSSL',
          package: 'openssl',
          version: '1.1.1',
          fix_version: '1.1.2',
          severity: 'High',
          description: 'openssl before 1.1.2',
          links: ['https://advisories.test/CVE-TEST-OPENSSL'],
        },
      ],
    );
    assert.equal(scan.polls, 2);
  });

  it('refuses a request without the required header with 401', async () => {
    const adapter = await start({ requireHeader: { name: 'X-ScannerAdapter-API-Key', value: 'k' } });
    assert.equal((await fetch(`${adapter.url}/api/v1/metadata`)).status, 401);
    assert.equal((await fetch(`${adapter.url}/api/v1/metadata`, { headers: { 'X-ScannerAdapter-API-Key': 'wrong' } })).status, 401);
    assert.equal((await postScan(adapter, registry.url, imageDigest)).status, 401);
    assert.equal(adapter.scans.length, 0);
    assert.equal((await fetch(`${adapter.url}/api/v1/metadata`, { headers: { 'X-ScannerAdapter-API-Key': 'k' } })).status, 200);
  });

  it('fails the scan of a layer whose content does not match its digest, and answers its report with 500', async () => {
    const adapter = await start({ pendingPolls: 0 });
    const accepted = await postScan(adapter, registry.url, brokenDigest);
    assert.equal(accepted.status, 202);
    const { id } = (await accepted.json()) as { id: string };
    const scan = await adapter.waitForScan(brokenDigest);
    assert.equal(scan.state, 'failed');
    assert.match(scan.error ?? '', /digest mismatch/);

    const res = await fetch(`${adapter.url}/api/v1/scan/${id}/report`, { headers: { Accept: REPORT } });
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('content-type'), 'application/vnd.scanner.adapter.error+json; version=1.0');
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /digest mismatch/);
  });

  it("answers POST /scan with 500 in mode 'fail-scan'", async () => {
    const adapter = await start();
    adapter.mode = 'fail-scan';
    const res = await postScan(adapter, registry.url, imageDigest);
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { error: { message: 'scanner unavailable' } });
    assert.equal(adapter.scans.length, 0);
  });

  it('refuses malformed requests and unknown scans', async () => {
    const adapter = await start();
    const wrongType = await postScan(adapter, registry.url, imageDigest, { 'Content-Type': 'application/json' });
    assert.equal(wrongType.status, 400);
    const noDigest = await fetch(`${adapter.url}/api/v1/scan`, {
      method: 'POST',
      headers: { 'Content-Type': SCAN_REQUEST },
      body: JSON.stringify({ registry: { url: registry.url }, artifact: { repository: 'p/app' } }),
    });
    assert.equal(noDigest.status, 422);
    assert.match(((await noDigest.json()) as { error: { message: string } }).error.message, /artifact\.digest/);
    assert.equal((await fetch(`${adapter.url}/api/v1/scan/nope/report`, { headers: { Accept: REPORT } })).status, 404);

    const { id } = (await (await postScan(adapter, registry.url, imageDigest)).json()) as { id: string };
    assert.equal((await fetch(`${adapter.url}/api/v1/scan/${id}/report`, { headers: { Accept: 'application/json' } })).status, 400);
    await adapter.waitForScan(imageDigest);
  });
});
