// How a scan reads in the console: a severity's badge, and an artifact's scan overview (its
// state while a scan waits, runs or failed; once scanned, the counts per severity with the
// highest one marked, and a link to the report).
import type { ScanOverviewView } from '@berth/api-types';
import type { ReactNode } from 'react';
import { severities } from '../api/scanning';

export function SeverityBadge({ severity, highest }: { severity: string; highest?: boolean }) {
  const known = (severities as readonly string[]).includes(severity) ? severity.toLowerCase() : 'unknown';
  return <span className={`sev sev-${known}${highest ? ' highest' : ''}`}>{severity}</span>;
}

const states: Record<string, string> = { Pending: 'Queued', Running: 'Scanning…', Error: 'Scan failed', Stopped: 'Scan stopped' };

/** Whether a scan of it waits or runs (the list is polled meanwhile). */
export function scanInProgress(o: ScanOverviewView | undefined): boolean {
  return o?.scan_status === 'Pending' || o?.scan_status === 'Running';
}

/** Counts per severity, strongest first, and the total; `label` names the artifact for screen readers. */
function Counts({ o, label }: { o: ScanOverviewView; label: string }) {
  const s = o.summary!;
  if (s.total === 0) return <span className="badge public">No vulnerabilities</span>;
  const present = severities.filter((sev) => (s.summary[sev] ?? 0) > 0);
  return (
    <>
      <span>
        {s.total} {s.total === 1 ? 'vulnerability' : 'vulnerabilities'}
        {s.fixable > 0 && <span className="muted">, {s.fixable} fixable</span>}
      </span>
      <ul className="severities" aria-label={`Vulnerabilities of ${label} by severity`}>
        {present.map((sev, i) => (
          <li key={sev}>
            <SeverityBadge severity={sev} highest={i === 0} /> {s.summary[sev]}
            {i === 0 && <span className="sr-only"> (highest)</span>}
          </li>
        ))}
      </ul>
    </>
  );
}

/** The Vulnerabilities cell of an artifact: `report` is the link to its report, shown once there is one. */
export function ScanOverview({ overview, label, report }: { overview: ScanOverviewView | undefined; label: string; report: ReactNode }) {
  if (!overview) return <span className="muted">Not scanned</span>;
  const status = overview.scan_status;
  const scanned = overview.summary !== null;
  return (
    <div className="scan-overview">
      {status !== 'Success' && (
        <span className={status === 'Error' ? 'badge bad' : 'badge'} role={scanInProgress(overview) ? 'status' : undefined}>
          {states[status] ?? status}
        </span>
      )}
      {scanned && (
        <>
          {status !== 'Success' && <span className="small muted">Last result:</span>}
          <Counts o={overview} label={label} />
          {report}
        </>
      )}
    </div>
  );
}
