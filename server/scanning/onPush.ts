// Scan on push (the project's auto_scan): the push's own transaction queues the scan, so an
// image is never pushed without it, nor queued for a push that rolled back.
import type { Queryer } from '../db/database.js';
import { autoScanScanner } from '../db/scanners.js';
import { queueScans } from '../db/scans.js';
import { isScannable } from './scannable.js';

export async function queueScanOnPush(q: Queryer, projectName: string, manifest: { id: number; mediaType: string; payload: Buffer }): Promise<void> {
  if (!isScannable(manifest.mediaType, manifest.payload)) return;
  const scannerId = await autoScanScanner(q, projectName);
  if (scannerId !== undefined) await queueScans(q, [manifest.id], scannerId, 'EVENT');
}
