// A report's one-row summary: counts per severity, how many have a fix, the highest
// severity, and each CVE id once with its highest severity (what the pull gate weighs).
import type { ScanResult } from '../db/scans.js';
import { severities, severityRank } from './severity.js';

interface ReportVulnerability {
  id?: unknown;
  severity?: unknown;
  fix_version?: unknown;
}

export type ReportSummary = Omit<ScanResult, 'taskId' | 'manifestId' | 'scannerId' | 'report'>;

export function summarize(report: unknown, fallbackScanner?: { name: string; vendor: string; version: string }): ReportSummary {
  const r = report as { vulnerabilities?: ReportVulnerability[]; scanner?: { name?: unknown; vendor?: unknown; version?: unknown } };
  const counts: Record<string, number> = {};
  const byId = new Map<string, number>();
  let fixable = 0;
  let highest = -1;
  const vulns = r.vulnerabilities ?? [];
  for (const v of vulns) {
    const rank = severityRank(typeof v.severity === 'string' ? v.severity : undefined);
    const name = severities[rank];
    counts[name] = (counts[name] ?? 0) + 1;
    if (typeof v.fix_version === 'string' && v.fix_version) fixable++;
    highest = Math.max(highest, rank);
    if (typeof v.id === 'string' && v.id) byId.set(v.id, Math.max(byId.get(v.id) ?? 0, rank));
  }
  const text = (x: unknown) => (typeof x === 'string' ? x : '');
  return {
    // Harbor's summary says "None" for an image with no findings.
    severity: highest < 0 ? 'None' : severities[highest],
    total: vulns.length,
    fixable,
    counts,
    cves: [...byId].map(([id, rank]) => [id, severities[rank]]),
    scanner: r.scanner
      ? { name: text(r.scanner.name), vendor: text(r.scanner.vendor), version: text(r.scanner.version) }
      : (fallbackScanner ?? { name: '', vendor: '', version: '' }),
  };
}
