// The client side of Harbor's Scanner Adapter API v1.1 (goharbor/pluggable-scanner-spec):
// GET /api/v1/metadata, POST /api/v1/scan, GET /api/v1/scan/{id}/report. Requests go
// through replication's guarded fetch, so a scanner URL is held to the same networks.
import type { ScannerMetadataView } from '../lib/harborTypes.js';
import { targetFetch, type AllowedNetworks } from '../replication/targets.js';

export const adapterMime = {
  metadata: 'application/vnd.scanner.adapter.metadata+json; version=1.0',
  scanRequest: 'application/vnd.scanner.adapter.scan.request+json; version=1.0',
  /** The report Berth stores and serves, and the older name of the same schema. */
  report: 'application/vnd.security.vulnerability.report; version=1.1',
  harborReport: 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0',
} as const;

export interface AdapterEndpoint {
  url: string;
  auth: string;
  /** The opened access credential, if any. */
  credential?: string;
  skipCertVerify: boolean;
}

export interface ScanRequestBody {
  registry: { url: string; authorization: string };
  artifact: { repository: string; digest: string; tag?: string; mime_type: string };
}

export type ReportPoll = { state: 'ready'; report: unknown } | { state: 'pending'; retryAfterSeconds: number } | { state: 'unknown' };

/** What went wrong talking to an adapter; `transient` failures are retried. */
export class AdapterError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

function headers(e: AdapterEndpoint, extra: Record<string, string>): Record<string, string> {
  const h = { ...extra };
  if (e.credential) {
    if (e.auth === 'Basic') h.Authorization = `Basic ${e.credential}`;
    else if (e.auth === 'Bearer') h.Authorization = `Bearer ${e.credential}`;
    else if (e.auth === 'X-ScannerAdapter-API-Key') h['X-ScannerAdapter-API-Key'] = e.credential;
  }
  return h;
}

async function call(e: AdapterEndpoint, allow: AllowedNetworks, path: string, init: { method: string; headers: Record<string, string>; body?: string }) {
  const url = `${e.url.replace(/\/+$/, '')}/api/v1${path}`;
  try {
    return await targetFetch(
      url,
      { method: init.method, headers: headers(e, init.headers), body: init.body },
      { insecure: e.skipCertVerify, allow, timeoutMs: 30_000 },
    );
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new AdapterError(
      `cannot reach the scanner at ${e.url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      (err as Error).name !== 'TargetRefused',
    );
  }
}

async function errorText(res: { status: number; text(): Promise<string> }): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const message = (JSON.parse(text) as { error?: { message?: string } }).error?.message;
    if (message) return `${res.status}: ${message.slice(0, 500)}`;
  } catch {
    /* not the spec's error body */
  }
  return `${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
}

function isMetadata(v: unknown): v is ScannerMetadataView {
  const m = v as ScannerMetadataView;
  return (
    !!m &&
    typeof m.scanner?.name === 'string' &&
    Array.isArray(m.capabilities) &&
    m.capabilities.every((c) => Array.isArray(c?.consumes_mime_types) && Array.isArray(c?.produces_mime_types))
  );
}

export async function fetchMetadata(e: AdapterEndpoint, allow: AllowedNetworks): Promise<ScannerMetadataView> {
  const res = await call(e, allow, '/metadata', { method: 'GET', headers: { Accept: adapterMime.metadata } });
  if (res.status !== 200) throw new AdapterError(`the scanner's metadata request answered ${await errorText(res)}`, res.status >= 500);
  const body = await res.json().catch(() => undefined);
  if (!isMetadata(body)) throw new AdapterError("the scanner's metadata is not a ScannerAdapterMetadata document", false);
  return {
    scanner: { name: body.scanner.name, vendor: body.scanner.vendor ?? '', version: body.scanner.version ?? '' },
    capabilities: body.capabilities,
    properties: body.properties ?? {},
  };
}

/** Whether the adapter scans this manifest type into a report Berth reads. */
export function supports(m: ScannerMetadataView, manifestMediaType: string): boolean {
  return m.capabilities.some(
    (c) => c.consumes_mime_types.includes(manifestMediaType) && c.produces_mime_types.some((p) => p === adapterMime.report || p === adapterMime.harborReport),
  );
}

/** POST /scan: the adapter's id for the request. */
export async function requestScan(e: AdapterEndpoint, allow: AllowedNetworks, body: ScanRequestBody): Promise<string> {
  const res = await call(e, allow, '/scan', {
    method: 'POST',
    headers: { 'Content-Type': adapterMime.scanRequest, Accept: 'application/vnd.scanner.adapter.scan.response+json; version=1.0' },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new AdapterError(`the scanner refused the scan request: ${await errorText(res)}`, res.status >= 500 || res.status === 429);
  const id = ((await res.json().catch(() => undefined)) as { id?: unknown } | undefined)?.id;
  if (typeof id !== 'string' || !id) throw new AdapterError('the scanner accepted the scan request without an id', false);
  return id;
}

/** One poll of GET /scan/{id}/report: the report, a "not yet" with its Refresh-After, or an id the adapter does not know. */
export async function pollReport(e: AdapterEndpoint, allow: AllowedNetworks, requestId: string): Promise<ReportPoll> {
  const res = await call(e, allow, `/scan/${encodeURIComponent(requestId)}/report`, {
    method: 'GET',
    headers: { Accept: `${adapterMime.report}, ${adapterMime.harborReport}` },
  });
  if (res.status === 302) {
    await res.body?.cancel();
    const after = Number(res.headers.get('refresh-after'));
    return { state: 'pending', retryAfterSeconds: Number.isFinite(after) && after > 0 ? after : 5 };
  }
  if (res.status === 404) {
    await res.body?.cancel();
    return { state: 'unknown' };
  }
  // The spec: a 500 is the scan's failure, final (as for Harbor).
  if (res.status !== 200) throw new AdapterError(`the scan failed: ${await errorText(res)}`, res.status !== 500);
  const report = await res.json().catch(() => undefined);
  const vulnerabilities = (report as { vulnerabilities?: unknown } | undefined)?.vulnerabilities;
  // Go adapters encode an empty list as null.
  if (!report || typeof report !== 'object' || (vulnerabilities != null && !Array.isArray(vulnerabilities)))
    throw new AdapterError('the scanner returned a report that is not a vulnerability report', false);
  return { state: 'ready', report: { ...report, vulnerabilities: vulnerabilities ?? [] } };
}
