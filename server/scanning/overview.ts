// Harbor's scan_overview of artifacts (with_scan_overview=true), from their summary rows.
import type { Queryer } from '../db/database.js';
import { findSummaries, type SummaryRow } from '../db/scans.js';
import type { ScanOverviewView } from '../lib/harborTypes.js';
import { adapterMime } from './adapterClient.js';

function overview(s: SummaryRow): ScanOverviewView {
  const start = s.start_time?.getTime();
  const end = s.end_time?.getTime();
  const scanned = s.scanned_at !== null;
  return {
    report_id: String(s.result_task_id ?? s.task_id),
    scan_status: s.status,
    severity: scanned ? (s.severity ?? 'Unknown') : 'Unknown',
    duration: start && end ? Math.round((end - start) / 1000) : 0,
    summary: scanned ? { total: s.total, fixable: s.fixable, summary: s.counts } : null,
    start_time: s.start_time?.toISOString() ?? null,
    end_time: s.end_time?.toISOString() ?? null,
    complete_percent: s.status === 'Success' ? 100 : 0,
    scanner: scanned ? { name: s.scanner.name ?? '', vendor: s.scanner.vendor ?? '', version: s.scanner.version ?? '' } : null,
  };
}

/** Harbor's scan_overview of each artifact that has one, keyed by the report's MIME type. */
export async function scanOverviews(q: Queryer, manifestIds: number[]): Promise<Map<number, Record<string, ScanOverviewView>>> {
  const summaries = await findSummaries(q, manifestIds);
  return new Map([...summaries].map(([id, s]) => [id, { [adapterMime.report]: overview(s) }]));
}
