// A vulnerability scanner for tests, speaking the Harbor Scanner Adapter API v1.1 under /api/v1
// (goharbor/pluggable-scanner-spec, api/spec/scanner-adapter-openapi-v1.1.yaml). It is a double,
// not a stub: a scan really pulls the artifact from the registry named in the request, with the
// credentials given there, and reads the dpkg and apk databases out of the layers, so a test of
// Berth's scanning proves that Berth hands out a registry URL and credentials that work.
import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import tar from 'tar-stream';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

export type Severity = 'Unknown' | 'Negligible' | 'Low' | 'Medium' | 'High' | 'Critical';

export interface Advisory {
  id: string;
  ecosystem: 'dpkg' | 'apk';
  package: string;
  /** installed versions below this are vulnerable; none: every version */
  fixedVersion?: string;
  severity: Severity;
  description?: string;
}

export interface ScannerAdapterOptions {
  advisories: Advisory[];
  /** When set, every request must carry this header with this exact value (e.g. {name: 'authorization', value: 'Bearer k'} or {name: 'x-scanneradapter-api-key', value: 'k'}); otherwise 401. */
  requireHeader?: { name: string; value: string };
  /** How many GETs of a report answer 302 before it is served even when the work is done (default 1). */
  pendingPolls?: number;
  /** The Refresh-After header of a 302, in seconds (default 1). */
  refreshAfterSeconds?: number;
}

export interface HarborVulnerabilityReport {
  generated_at: string;
  artifact: { repository: string; digest: string; mime_type?: string };
  scanner: { name: string; vendor: string; version: string };
  severity: Severity;
  vulnerabilities: Array<{
    id: string;
    package: string;
    version: string;
    fix_version?: string;
    severity: Severity;
    description?: string;
    links: string[];
  }>;
}

export interface ScanRecord {
  id: string;
  request: { registry: { url: string; authorization?: string }; artifact: { repository: string; digest: string; tag?: string; mime_type?: string } };
  state: 'working' | 'done' | 'failed';
  error?: string;
  report?: HarborVulnerabilityReport;
  /** Every registry request the scan made: method, path and status, e.g. 'GET /v2/p/r/manifests/sha256:… 200'. */
  registryRequests: string[];
  polls: number;
}

export interface ScannerAdapter {
  /** http://127.0.0.1:PORT (no trailing slash) */
  url: string;
  scans: ScanRecord[];
  /** 'ok': normal. 'fail-scan': POST /scan answers 500 with an error body. 'fail-report': GET report answers 500 with an error body. */
  mode: 'ok' | 'fail-scan' | 'fail-report';
  /** Resolves when the scan of this digest has finished (done or failed); rejects after timeoutMs (default 20 s). */
  waitForScan(digest: string, timeoutMs?: number): Promise<ScanRecord>;
  close(): Promise<void>;
}

const SCANNER = { name: 'berth-test-scanner', vendor: 'Berth tests', version: '1.0.0' };
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const GENERIC_REPORT = 'application/vnd.security.vulnerability.report; version=1.1';
const NATIVE_REPORT = 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0';
const ERROR_TYPE = 'application/vnd.scanner.adapter.error+json; version=1.0';
const SEVERITY_ORDER: Severity[] = ['Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical'];
const DPKG_STATUS = 'var/lib/dpkg/status';
const APK_INSTALLED = 'lib/apk/db/installed';

export async function startScannerAdapter(opts: ScannerAdapterOptions): Promise<ScannerAdapter> {
  const pendingPolls = opts.pendingPolls ?? 1;
  const refreshAfter = opts.refreshAfterSeconds ?? 1;
  const startedAt = new Date().toISOString();
  // Emitted when a scan is created or settles; waitForScan listens instead of polling.
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  // Scans still pulling when the adapter closes stop instead of outliving the test.
  const closing = new AbortController();

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, `adapter error: ${errorText(err)}`);
      else res.destroy();
    });
  });

  const adapter: ScannerAdapter = {
    url: '',
    scans: [],
    mode: 'ok',
    waitForScan(digest, timeoutMs = 20_000) {
      return new Promise<ScanRecord>((resolve, reject) => {
        const check = () => {
          const rec = latestScanOf(digest);
          if (rec && rec.state !== 'working') {
            cleanup();
            resolve(rec);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          const rec = latestScanOf(digest);
          reject(new Error(`no finished scan of ${digest} after ${timeoutMs} ms (${rec ? `latest scan ${rec.id} is ${rec.state}` : 'never requested'})`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          changes.off('change', check);
        };
        changes.on('change', check);
        check();
      });
    },
    async close() {
      closing.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };

  // The latest one, so a test that asks for a re-scan waits for the new scan, not the old result.
  function latestScanOf(digest: string): ScanRecord | undefined {
    for (let i = adapter.scans.length - 1; i >= 0; i--) {
      if (adapter.scans[i].request.artifact.digest === digest) return adapter.scans[i];
    }
    return undefined;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // NOTE: before routing, so that an unauthenticated client learns nothing, not even which paths exist.
    if (opts.requireHeader && req.headers[opts.requireHeader.name.toLowerCase()] !== opts.requireHeader.value) {
      return sendError(res, 401, `missing or wrong ${opts.requireHeader.name} header`);
    }
    const path = new URL(req.url ?? '/', 'http://adapter').pathname;

    // GET /api/v1/metadata (spec: GetMetadata)
    if (req.method === 'GET' && path === '/api/v1/metadata') {
      return sendJson(res, 200, 'application/vnd.scanner.adapter.metadata+json; version=1.0', {
        scanner: SCANNER,
        capabilities: [{ consumes_mime_types: [OCI_MANIFEST, DOCKER_MANIFEST], produces_mime_types: [GENERIC_REPORT, NATIVE_REPORT] }],
        properties: {
          'harbor.scanner-adapter/scanner-type': 'os-package-vulnerability',
          'harbor.scanner-adapter/vulnerability-database-updated-at': startedAt,
        },
      });
    }

    // POST /api/v1/scan (spec: AcceptScanRequest)
    if (req.method === 'POST' && path === '/api/v1/scan') {
      const body = await readBody(req);
      if (!(req.headers['content-type'] ?? '').startsWith('application/vnd.scanner.adapter.scan.request+json')) {
        return sendError(res, 400, `unsupported content type ${req.headers['content-type'] ?? '(none)'}`);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return sendError(res, 400, 'scan request is not JSON');
      }
      const request = asScanRequest(parsed);
      if (typeof request === 'string') return sendError(res, 422, request);
      if (adapter.mode === 'fail-scan') return sendError(res, 500, 'scanner unavailable');

      const rec: ScanRecord = { id: randomUUID(), request, state: 'working', registryRequests: [], polls: 0 };
      adapter.scans.push(rec);
      changes.emit('change');
      scan(rec, opts.advisories, closing.signal).then(
        (report) => {
          rec.report = report;
          rec.state = 'done';
          changes.emit('change');
        },
        (err: unknown) => {
          rec.error = errorText(err);
          rec.state = 'failed';
          changes.emit('change');
        },
      );
      return sendJson(res, 202, 'application/vnd.scanner.adapter.scan.response+json; version=1.0', { id: rec.id });
    }

    // GET /api/v1/scan/{scan_request_id}/report (spec: GetScanReport)
    const reportPath = /^\/api\/v1\/scan\/([^/]+)\/report$/.exec(path);
    if (req.method === 'GET' && reportPath) {
      const rec = adapter.scans.find((s) => s.id === decodeURIComponent(reportPath[1]));
      if (!rec) return sendError(res, 404, `no scan request ${reportPath[1]}`);
      const accept = (req.headers.accept ?? '').replace(/\s*;\s*/g, '; ');
      // Answer in the type that was asked for; Harbor sends exactly one of the two.
      const type = accept.includes(GENERIC_REPORT) ? GENERIC_REPORT : accept.includes(NATIVE_REPORT) ? NATIVE_REPORT : undefined;
      if (!type) return sendError(res, 400, `unsupported report type ${req.headers.accept ?? '(none)'}`);
      rec.polls++;
      if (adapter.mode === 'fail-report') return sendError(res, 500, 'report unavailable');
      if (rec.state === 'failed') return sendError(res, 500, rec.error ?? 'scan failed');
      if (rec.state === 'working' || rec.polls <= pendingPolls) {
        res.writeHead(302, { 'Refresh-After': String(refreshAfter), 'Content-Length': '0' });
        res.end();
        return;
      }
      return sendJson(res, 200, type, rec.report);
    }

    return sendError(res, 404, `no route for ${req.method} ${path}`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  adapter.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return adapter;
}

function asScanRequest(v: unknown): ScanRecord['request'] | string {
  const o = v as { registry?: Record<string, unknown>; artifact?: Record<string, unknown> } | null;
  if (typeof o !== 'object' || o === null) return 'scan request must be an object';
  const { registry, artifact } = o;
  if (typeof registry?.url !== 'string') return 'registry.url must be a string';
  if (registry.authorization !== undefined && typeof registry.authorization !== 'string') return 'registry.authorization must be a string';
  if (typeof artifact?.repository !== 'string') return 'artifact.repository must be a string';
  if (typeof artifact.digest !== 'string') return 'artifact.digest must be a string';
  const optional = (k: string) => (typeof artifact[k] === 'string' ? (artifact[k] as string) : undefined);
  return {
    registry: { url: registry.url, authorization: registry.authorization as string | undefined },
    artifact: { repository: artifact.repository, digest: artifact.digest, tag: optional('tag'), mime_type: optional('mime_type') },
  };
}

/** Pulls the artifact, reads its package databases and matches them against the advisories. */
async function scan(rec: ScanRecord, advisories: Advisory[], signal: AbortSignal): Promise<HarborVulnerabilityReport> {
  const { registry, artifact } = rec.request;
  const pull: Pull = { base: registry.url.replace(/\/+$/, ''), log: rec.registryRequests, signal };
  const auth = await registryAuthorization(pull, registry.authorization, artifact.repository);
  const headers: Record<string, string> = auth ? { Authorization: auth } : {};

  const manifestUrl = `${pull.base}/v2/${artifact.repository}/manifests/${artifact.digest}`;
  const manifestRes = await registryGet(pull, manifestUrl, { ...headers, Accept: `${OCI_MANIFEST}, ${DOCKER_MANIFEST}` });
  const manifestBytes = await okBody(manifestRes, `manifest ${artifact.digest}`, manifestUrl);
  checkDigest(manifestBytes, artifact.digest, `manifest ${artifact.digest}`);
  let manifest: { mediaType?: string; layers?: Array<{ digest?: unknown }> };
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8'));
  } catch {
    throw new Error(`manifest ${artifact.digest} is not JSON`);
  }
  if (!Array.isArray(manifest.layers))
    throw new Error(`manifest ${artifact.digest} has no layers (media type ${manifest.mediaType ?? 'unknown'}); not an image manifest`);

  // Later layers overlay earlier ones, so the last copy of a database wins.
  const databases = new Map<string, Buffer>();
  for (const layer of manifest.layers) {
    const digest = String(layer.digest);
    const what = `layer ${digest}`;
    const blobUrl = `${pull.base}/v2/${artifact.repository}/blobs/${digest}`;
    let bytes = await okBody(await registryGet(pull, blobUrl, headers), what, blobUrl);
    checkDigest(bytes, digest, what);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      try {
        bytes = await gunzip(bytes);
      } catch (err) {
        throw new Error(`${what}: gunzip failed: ${errorText(err)}`);
      }
    }
    await readDatabases(bytes, databases, what);
  }

  const installed = [
    ...parseDpkgStatus(databases.get(DPKG_STATUS)?.toString('utf8') ?? '').map((p) => ({ ...p, ecosystem: 'dpkg' as const })),
    ...parseApkInstalled(databases.get(APK_INSTALLED)?.toString('utf8') ?? '').map((p) => ({ ...p, ecosystem: 'apk' as const })),
  ];
  const vulnerabilities: HarborVulnerabilityReport['vulnerabilities'] = [];
  for (const pkg of installed) {
    for (const a of advisories) {
      if (a.ecosystem !== pkg.ecosystem || a.package !== pkg.name) continue;
      if (a.fixedVersion !== undefined && compareVersions(a.fixedVersion, pkg.version) <= 0) continue;
      vulnerabilities.push({
        id: a.id,
        package: pkg.name,
        version: pkg.version,
        fix_version: a.fixedVersion,
        severity: a.severity,
        description: a.description,
        links: [`https://advisories.test/${a.id}`],
      });
    }
  }
  // 'Unknown' for a clean image, as Harbor's Trivy adapter reports it.
  const severity = vulnerabilities.reduce<Severity>(
    (max, v) => (SEVERITY_ORDER.indexOf(v.severity) > SEVERITY_ORDER.indexOf(max) ? v.severity : max),
    'Unknown',
  );
  return {
    generated_at: new Date().toISOString(),
    artifact: { repository: artifact.repository, digest: artifact.digest, mime_type: artifact.mime_type ?? manifest.mediaType },
    scanner: SCANNER,
    severity,
    vulnerabilities,
  };
}

interface Pull {
  base: string;
  log: string[];
  signal: AbortSignal;
}

/**
 * The Authorization value for the registry requests of a scan. Basic credentials are exchanged
 * for a token when the registry challenges with Bearer, as Docker clients do; the ping goes
 * without credentials, like theirs, so that a registry that would also take Basic on every
 * request still has its token flow exercised.
 */
async function registryAuthorization(pull: Pull, authorization: string | undefined, repository: string): Promise<string | undefined> {
  if (!authorization || !/^Basic /i.test(authorization)) return authorization;
  const pingUrl = `${pull.base}/v2/`;
  const ping = await registryGet(pull, pingUrl, {});
  await ping.body?.cancel();
  if (ping.status === 200) return authorization;
  if (ping.status !== 401) throw new Error(`registry ping GET ${pingUrl} answered ${ping.status}`);
  const challenge = ping.headers.get('www-authenticate') ?? '';
  const bearer = /Bearer\s+(.*)/i.exec(challenge);
  if (!bearer) return authorization;
  const params = Object.fromEntries([...bearer[1].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1].toLowerCase(), m[2]]));
  if (!params.realm) throw new Error(`registry ping GET ${pingUrl} answered 401 with a Bearer challenge without realm: ${challenge}`);
  const tokenUrl = new URL(params.realm, pingUrl);
  if (params.service) tokenUrl.searchParams.set('service', params.service);
  tokenUrl.searchParams.set('scope', `repository:${repository}:pull`);
  const body = await okBody(await registryGet(pull, tokenUrl.href, { Authorization: authorization }), 'token', tokenUrl.href);
  let token: unknown;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { token?: unknown; access_token?: unknown };
    token = parsed.token ?? parsed.access_token;
  } catch {
    throw new Error(`token GET ${tokenUrl.href} answered 200 with a body that is not JSON`);
  }
  if (typeof token !== 'string' || token === '') throw new Error(`token GET ${tokenUrl.href} answered 200 without token or access_token`);
  return `Bearer ${token}`;
}

/**
 * A GET that follows redirects itself, so that every hop lands in the scan's log, and that
 * keeps the credentials on the origin they were meant for (a blob redirect to object storage
 * carries its own signature and would refuse an extra Authorization header).
 */
async function registryGet(pull: Pull, url: string, headers: Record<string, string>): Promise<Response> {
  let target = new URL(url);
  const origin = target.origin;
  for (let hop = 0; ; hop++) {
    const sent = target.origin === origin ? headers : Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
    let res: Response;
    try {
      res = await fetch(target, { headers: sent, redirect: 'manual', signal: pull.signal });
    } catch (err) {
      pull.log.push(`GET ${target.pathname} failed`);
      throw new Error(`GET ${target.href} failed: ${errorText(err)}`);
    }
    pull.log.push(`GET ${target.pathname} ${res.status}`);
    const location = res.headers.get('location');
    if (res.status < 300 || res.status > 399 || !location) return res;
    await res.body?.cancel();
    if (hop === 10) throw new Error(`GET ${url}: more than 10 redirects`);
    target = new URL(location, target);
  }
}

async function okBody(res: Response, what: string, url: string): Promise<Buffer> {
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`${what}: GET ${url} answered ${res.status}: ${body.toString('utf8', 0, 300)}`);
  return body;
}

function checkDigest(bytes: Buffer, digest: string, what: string): void {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`${what}: unsupported digest ${digest}`);
  const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (actual !== digest) throw new Error(`${what}: digest mismatch, content is ${actual}`);
}

async function readDatabases(bytes: Buffer, into: Map<string, Buffer>, what: string): Promise<void> {
  // tar-stream reads zero bytes as an archive without entries; a layer that is nothing is no tar.
  if (bytes.length === 0) throw new Error(`${what}: empty, not a tar`);
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^(\.?\/)+/, '');
      if (entry.header.type === 'file' && (name === DPKG_STATUS || name === APK_INSTALLED)) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        into.set(name, Buffer.concat(chunks));
        continue;
      }
      // An OCI whiteout deletes what earlier layers put at that path.
      const whiteout = /^(.*\/)?\.wh\.([^/]+)$/.exec(name);
      if (whiteout) into.delete(`${whiteout[1] ?? ''}${whiteout[2]}`);
      entry.resume();
    }
  })();
  extract.end(bytes);
  try {
    await reading;
  } catch (err) {
    throw new Error(`${what}: not a tar: ${errorText(err)}`);
  }
}

function parseDpkgStatus(text: string): Array<{ name: string; version: string }> {
  const pkgs: Array<{ name: string; version: string }> = [];
  for (const paragraph of text.split(/\n[ \t]*\n/)) {
    const fields = new Map<string, string>();
    for (const m of paragraph.matchAll(/^([A-Za-z][\w-]*):[ \t]*(.*)$/gm)) fields.set(m[1].toLowerCase(), m[2].trim());
    const name = fields.get('package');
    const version = fields.get('version');
    // The last word of Status is the state; 'not-installed' and 'half-installed' also contain the word.
    const state = fields.get('status')?.split(/\s+/).pop();
    if (name && version && state === 'installed') pkgs.push({ name, version });
  }
  return pkgs;
}

function parseApkInstalled(text: string): Array<{ name: string; version: string }> {
  const pkgs: Array<{ name: string; version: string }> = [];
  for (const paragraph of text.split(/\n[ \t]*\n/)) {
    const name = /^P:(.+)$/m.exec(paragraph)?.[1].trim();
    const version = /^V:(.+)$/m.exec(paragraph)?.[1].trim();
    if (name && version) pkgs.push({ name, version });
  }
  return pkgs;
}

/**
 * Orders versions by runs of digits (numerically) and of other characters (as strings); on a
 * tie the version with more runs is the greater. Good enough for the versions tests make up,
 * not dpkg's or apk's real rules (epochs, '~', '_rc', revisions).
 */
function compareVersions(a: string, b: string): number {
  const ra = a.match(/\d+|\D+/g) ?? [];
  const rb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i];
    const y = rb[i];
    const c = /^\d/.test(x) && /^\d/.test(y) ? Number(BigInt(x) - BigInt(y)) : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return Math.sign(c);
  }
  return Math.sign(ra.length - rb.length);
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(res: http.ServerResponse, status: number, type: string, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(bytes.length) });
  res.end(bytes);
}

function sendError(res: http.ServerResponse, status: number, message: string): void {
  sendJson(res, status, ERROR_TYPE, { error: { message } });
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // fetch hides the socket error (ECONNREFUSED, …) in cause.
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

/** A gzip-compressed tar of these files (paths relative, no leading slash), as a container image layer. */
export async function tarLayer(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const packed = new Promise<void>((resolve, reject) => {
    pack.on('data', (c) => chunks.push(c as Buffer));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const [name, content] of Object.entries(files)) {
    // A fixed mtime keeps the layer, and so its digest, the same from run to run.
    pack.entry({ name, mode: 0o644, mtime: new Date(0) }, typeof content === 'string' ? Buffer.from(content) : content);
  }
  pack.finalize();
  await packed;
  return gzip(Buffer.concat(chunks));
}

/** Debian /var/lib/dpkg/status text, each 'Status: install ok installed'. */
export function dpkgStatus(pkgs: Array<{ name: string; version: string }>): string {
  return pkgs
    .map(
      (p) =>
        `Package: ${p.name}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: ${p.version}\nDescription: ${p.name} for tests\n`,
    )
    .join('\n');
}

/** Alpine /lib/apk/db/installed text (P:/V: lines, blank line between packages). */
export function apkInstalled(pkgs: Array<{ name: string; version: string }>): string {
  return pkgs.map((p) => `P:${p.name}\nV:${p.version}\nA:x86_64\n`).join('\n');
}
