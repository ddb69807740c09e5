// Vulnerability scanning: scanner registrations (Harbor's "Interrogation Services") with
// their health, a project's scanner, scans of artifacts and their reports, "scan all" with
// its schedule and metrics, and the system CVE allowlist; the paths and the query keys.
// Registrations and their health are keyed under ['scanners'], so a refetch reaches both.
import type { CveAllowlistView, ScannerMetadataView, ScannerRegistrationView, ScanOverviewView } from '@berth/api-types';
import { getJson, getPage, post, put, request } from './client';

/** The report's MIME type, the key of scan_overview and of a report. */
export const reportMime = 'application/vnd.security.vulnerability.report; version=1.1';

/** Report severities, strongest first, as the adapter names them. */
export const severities = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'] as const;

/** The project setting `severity`: the weakest severity the pull gate refuses ("none": any finding). */
export const gateSeverities: Array<[string, string]> = [
  ['critical', 'Critical'],
  ['high', 'High'],
  ['medium', 'Medium'],
  ['low', 'Low'],
  ['negligible', 'Negligible'],
  ['unknown', 'Unknown'],
  ['none', 'Any vulnerability'],
];

/** How Berth authenticates to the adapter; '' is none. */
export const authTypes: Array<[string, string]> = [
  ['', 'None'],
  ['Basic', 'Basic'],
  ['Bearer', 'Bearer'],
  ['X-ScannerAdapter-API-Key', 'X-ScannerAdapter-API-Key'],
];

/** What the scanner form sends (and pings); the credential is left out when unchanged. */
export interface ScannerBody {
  name: string;
  description: string;
  url: string;
  auth: string;
  access_credential?: string;
  skip_cert_verify: boolean;
  use_internal_addr: boolean;
  disabled?: boolean;
}

export interface ScanAllSchedule {
  schedule: { type: 'None' | 'Hourly' | 'Daily' | 'Weekly' | 'Custom'; cron: string; next_scheduled_time: string | null };
}

/** The latest "scan all" run's tasks by status; trigger '' before any run. */
export interface ScanAllMetrics {
  total: number;
  completed: number;
  metrics: Record<'Pending' | 'Running' | 'Success' | 'Error' | 'Stopped', number>;
  ongoing: boolean;
  trigger: string;
}

/** One finding of a report (Harbor's vulnerability report, version 1.1). */
export interface Vulnerability {
  id: string;
  package: string;
  version: string;
  fix_version?: string;
  severity: string;
  description?: string;
  links?: string[];
}

export interface VulnerabilityReport {
  generated_at?: string;
  scanner?: { name: string; vendor: string; version: string };
  severity?: string;
  vulnerabilities: Vulnerability[];
}

export const scanningKeys = {
  scanners: ['scanners'] as const,
  list: (page: number) => ['scanners', page] as const,
  metadata: (uuid: string) => ['scanners', 'metadata', uuid] as const,
  project: (project: string) => ['project-scanner', project] as const,
  candidates: (project: string) => ['project-scanner', project, 'candidates'] as const,
  scanAllSchedule: ['scan-all', 'schedule'] as const,
  scanAllMetrics: ['scan-all', 'metrics'] as const,
  systemAllowlist: ['cve-allowlist'] as const,
  /** Keyed by the repository's full name, `project/repository`. */
  report: (name: string, digest: string) => ['vulnerabilities', name, digest] as const,
};

export function listScanners(p: { page: number; pageSize: number }) {
  return getPage<ScannerRegistrationView>(`/scanners?page=${p.page}&page_size=${p.pageSize}`);
}

/** The adapter's own answer (name, version, what it scans), or an error saying why it does not answer. */
export function getScannerMetadata(uuid: string) {
  return getJson<ScannerMetadataView>(`/scanners/${uuid}/metadata`);
}

/** The metadata of the adapter these settings describe, before they are saved. */
export async function pingScanner(body: ScannerBody): Promise<ScannerMetadataView> {
  return (await post('/scanners/ping', body)).json();
}

/** The first registration is the default. */
export function createScanner(body: ScannerBody) {
  return post('/scanners', body);
}

/** What is left out keeps its value. */
export function updateScanner(uuid: string, body: Partial<ScannerBody>) {
  return put(`/scanners/${uuid}`, body);
}

export function setDefaultScanner(uuid: string) {
  return request('PATCH', `/scanners/${uuid}`, { is_default: true });
}

/** The default goes last. */
export function deleteScanner(uuid: string) {
  return request('DELETE', `/scanners/${uuid}`);
}

const projectPath = (project: string) => `/projects/${encodeURIComponent(project)}`;

/** The project's scanner, its own or the default; null when none is registered (404). */
export async function getProjectScanner(project: string): Promise<ScannerRegistrationView | null> {
  try {
    return await getJson<ScannerRegistrationView>(`${projectPath(project)}/scanner`);
  } catch (err) {
    if ((err as { status?: number }).status === 404) return null;
    throw err;
  }
}

/** The registrations a project admin may choose from. */
export function listScannerCandidates(project: string) {
  return getPage<ScannerRegistrationView>(`${projectPath(project)}/scanner/candidates?page=1&page_size=100`);
}

export function setProjectScanner(project: string, uuid: string) {
  return put(`${projectPath(project)}/scanner`, { uuid });
}

/** `repository` is the name below the project, as the console's address holds it. */
const artifactPath = (project: string, repository: string, digest: string) =>
  `${projectPath(project)}/repositories/${encodeURIComponent(encodeURIComponent(repository))}/artifacts/${digest}`;

/** Queues a scan by the project's scanner (202); 405 when the artifact is not an image. */
export function scanArtifact(project: string, repository: string, digest: string) {
  return post(`${artifactPath(project, repository, digest)}/scan`, {});
}

/** The latest report that succeeded; undefined before one has. */
export async function getVulnerabilities(project: string, repository: string, digest: string): Promise<VulnerabilityReport | undefined> {
  const reports = await getJson<Record<string, VulnerabilityReport>>(`${artifactPath(project, repository, digest)}/additions/vulnerabilities`);
  return reports[reportMime] ?? Object.values(reports)[0];
}

/** The artifact's scan overview, if it has one. */
export function overviewOf(a: { scan_overview?: Record<string, ScanOverviewView> }): ScanOverviewView | undefined {
  return a.scan_overview?.[reportMime];
}

/** Scans every image now. */
export function scanAllNow() {
  return post('/system/scanAll/schedule', { schedule: { type: 'Manual' } });
}

export function getScanAllSchedule() {
  return getJson<ScanAllSchedule>('/system/scanAll/schedule');
}

export function setScanAllSchedule(schedule: { type: string; cron?: string }) {
  return put('/system/scanAll/schedule', { schedule });
}

export function getScanAllMetrics() {
  return getJson<ScanAllMetrics>('/scans/all/metrics');
}

export function getSystemAllowlist() {
  return getJson<CveAllowlistView>('/system/CVEAllowlist');
}

/** expires_at in Unix seconds, null for never. */
export function setSystemAllowlist(body: { items: Array<{ cve_id: string }>; expires_at: number | null }) {
  return put('/system/CVEAllowlist', body);
}
