// Runs scans where they are asked for: every server's primary process polls for due scan
// tasks, fires the "scan all" schedule and queues the tasks of "scan all" runs. A task
// moves in steps, each one request to the adapter under a short lease (db/scans.ts): the
// scan request with a fresh pull credential, then report polls at the adapter's
// Refresh-After, then the report and the artifact's summary in one transaction. Transient
// failures (the adapter unreachable, a 5xx on the request) are retried with backoff; a
// report the adapter answers 500 for is the scan's failure, as in Harbor.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { recordAudit } from '../audit/record.js';
import type { Database } from '../db/database.js';
import { findScannerById, scannerOfProject } from '../db/scanners.js';
import {
  claimScanTasks,
  claimUnqueuedScanAll,
  createScanAllRun,
  endScanTask,
  findScanAllSchedule,
  imageManifestsAfter,
  queueScans,
  rescheduleScanTask,
  saveScanResult,
  type ScanTaskContext,
} from '../db/scans.js';
import { ScheduleTick } from '../lib/scheduleTick.js';
import type { ScannerMetadataView } from '../lib/harborTypes.js';
import type { Logger } from '../log/logger.js';
import type { SecretBox } from '../replication/secretBox.js';
import type { AllowedNetworks } from '../replication/targets.js';
import { AdapterError, fetchMetadata, pollReport, requestScan, supports } from './adapterClient.js';
import { issueScanCredential } from './credentials.js';
import { summarize } from './reportSummary.js';
import { isScannable, imageManifestTypes } from './scannable.js';
import { endpointOf } from './scanners.js';

export interface ScanRunnerDeps {
  db: Database;
  box: SecretBox;
  allow: AllowedNetworks;
  log: Logger;
  /** Where adapters reach this Berth's /v2: BERTH_EXTERNAL_URL, or the internal address for registrations with use_internal_addr. */
  registryUrl: { external: string; internal: string };
}

export interface ScanRunnerSettings {
  pollMs: number;
  leaseSeconds: number;
  /** Tasks stepped at once by this process. */
  concurrency: number;
  /** Attempts of a task through transient failures. */
  attempts: number;
  retryBaseMs: number;
  /** A scan with no report after this long has failed. */
  maxScanMs: number;
  /** The pull credential's lifetime (it is void anyway once the task ends). */
  credentialTtlMs: number;
  /** The adapter's Refresh-After is followed up to this. */
  maxPollIntervalMs: number;
}

export const defaultScanRunnerSettings: ScanRunnerSettings = {
  pollMs: 1000,
  leaseSeconds: 60,
  concurrency: 4,
  attempts: 5,
  retryBaseMs: 10_000,
  maxScanMs: 3_600_000,
  credentialTtlMs: 3_600_000,
  maxPollIntervalMs: 60_000,
};

const scanActor = { username: 'scanner', actorType: 'system' as const };
const metadataTtlMs = 60_000;

export class ScanRunner {
  readonly id = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer?: NodeJS.Timeout;
  private busy?: Promise<void>;
  private stopping = false;
  private readonly schedule = new ScheduleTick();
  private readonly metadata = new Map<number, { at: number; value: ScannerMetadataView }>();

  constructor(
    private readonly deps: ScanRunnerDeps,
    private readonly settings: ScanRunnerSettings = defaultScanRunnerSettings,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.settings.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.busy;
  }

  tick(): Promise<void> {
    if (this.busy || this.stopping) return this.busy ?? Promise.resolve();
    this.busy = (async () => {
      try {
        await this.fireSchedule();
        await this.queueScanAll();
        for (;;) {
          const tasks = await claimScanTasks(this.deps.db, this.id, this.settings.leaseSeconds, this.settings.concurrency);
          await Promise.all(tasks.map((t) => this.step(t)));
          if (tasks.length < this.settings.concurrency || this.stopping) break;
        }
      } catch (err) {
        this.deps.log.warn({ err }, 'scan step failed');
      } finally {
        this.busy = undefined;
      }
    })();
    return this.busy;
  }

  private async fireSchedule(): Promise<void> {
    const s = await findScanAllSchedule(this.deps.db);
    const at = this.schedule.due(s.type === 'None' ? '' : s.cron);
    if (!at) return;
    // One run per tick however many servers fire it: the tick's time is unique.
    const id = await createScanAllRun(this.deps.db, 'SCHEDULE', at);
    if (id !== undefined) this.deps.log.info({ run: id, at }, 'scheduled scan of all artifacts queued');
  }

  /** Queues a task for every image of every project with a scanner, in batches. */
  private async queueScanAll(): Promise<void> {
    const { db, log } = this.deps;
    const run = await claimUnqueuedScanAll(db);
    if (!run) return;
    const scanners = new Map<number, number | undefined>();
    let after = 0;
    let queued = 0;
    for (;;) {
      const batch = await imageManifestsAfter(db, after, 500, imageManifestTypes);
      if (!batch.length) break;
      after = batch[batch.length - 1].id;
      const byScanner = new Map<number, number[]>();
      for (const m of batch) {
        if (m.project_id === null || !isScannable(m.media_type, m.payload)) continue;
        if (!scanners.has(m.project_id)) {
          const s = await scannerOfProject(db, m.project_id);
          scanners.set(m.project_id, s && !s.disabled ? s.id : undefined);
        }
        const scannerId = scanners.get(m.project_id);
        if (scannerId === undefined) continue;
        const ids = byScanner.get(scannerId);
        if (ids) ids.push(m.id);
        else byScanner.set(scannerId, [m.id]);
      }
      for (const [scannerId, ids] of byScanner)
        queued += (await queueScans(db, ids, scannerId, run.trigger === 'MANUAL' ? 'MANUAL' : 'SCHEDULE', run.id)).length;
    }
    log.info({ run: run.id, queued }, 'scan of all artifacts queued its tasks');
  }

  private async metadataOf(scannerId: number, endpoint: Parameters<typeof fetchMetadata>[0]): Promise<ScannerMetadataView> {
    const hit = this.metadata.get(scannerId);
    if (hit && Date.now() - hit.at < metadataTtlMs) return hit.value;
    const value = await fetchMetadata(endpoint, this.deps.allow);
    this.metadata.set(scannerId, { at: Date.now(), value });
    return value;
  }

  private async step(t: ScanTaskContext): Promise<void> {
    const { db, log } = this.deps;
    try {
      const scanner = await findScannerById(db, t.scanner_id);
      if (!scanner || scanner.disabled) return void (await this.fail(t, `scanner ${scanner?.name ?? t.scanner_id} is ${scanner ? 'disabled' : 'gone'}`));
      const endpoint = endpointOf(this.deps.box, scanner);
      if (t.started_at && Date.now() - t.started_at.getTime() > this.settings.maxScanMs)
        return void (await this.fail(t, `the scanner gave no report within ${Math.round(this.settings.maxScanMs / 60_000)} minutes`));
      if (!t.request_id) {
        const metadata = await this.metadataOf(scanner.id, endpoint);
        if (!supports(metadata, t.media_type))
          return void (await this.fail(t, `scanner ${scanner.name} does not scan ${t.media_type} into a vulnerability report`));
        const credential = await issueScanCredential(db, t.id, this.settings.credentialTtlMs);
        const requestId = await requestScan(endpoint, this.deps.allow, {
          registry: {
            url: scanner.use_internal_addr ? this.deps.registryUrl.internal : this.deps.registryUrl.external,
            authorization: `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`,
          },
          artifact: { repository: t.repository, digest: t.digest, ...(t.tag ? { tag: t.tag } : {}), mime_type: t.media_type },
        });
        await rescheduleScanTask(db, t.id, this.id, { inMs: 1000, requestId });
        return;
      }
      const poll = await pollReport(endpoint, this.deps.allow, t.request_id);
      if (poll.state === 'pending') {
        await rescheduleScanTask(db, t.id, this.id, { inMs: Math.min(poll.retryAfterSeconds * 1000, this.settings.maxPollIntervalMs) });
        return;
      }
      if (poll.state === 'unknown') {
        // The adapter lost the request (restarted, say): ask again, as an attempt.
        await this.retry(t, `the scanner does not know scan request ${t.request_id}`, null);
        return;
      }
      const metadata = await this.metadataOf(scanner.id, endpoint).catch(() => undefined);
      const s = summarize(poll.report, metadata?.scanner);
      await db.tx(async (q) => {
        await saveScanResult(q, { taskId: t.id, manifestId: t.manifest_id, scannerId: scanner.id, report: poll.report, ...s });
        if (!(await endScanTask(q, t.id, this.id, 'Success', null))) throw new Stopped();
        await recordAudit(q, {
          operation: 'scan',
          resourceType: 'artifact',
          resource: `${t.repository}@${t.digest}: ${s.total} vulnerabilities, severity ${s.severity}, by ${scanner.name}`,
          projectName: t.repository.split('/')[0],
          actor: scanActor,
        });
      });
      log.info({ task: t.id, artifact: `${t.repository}@${t.digest}`, total: s.total, severity: s.severity }, 'scan finished');
    } catch (err) {
      if (err instanceof Stopped) return;
      if (err instanceof AdapterError && err.transient) return void (await this.retry(t, err.message, t.request_id));
      await this.fail(t, err instanceof AdapterError ? err.message : `scan failed: ${(err as Error).message}`);
      if (!(err instanceof AdapterError)) log.warn({ err, task: t.id }, 'scan failed');
    }
  }

  private async retry(t: ScanTaskContext, why: string, requestId: string | null): Promise<void> {
    const attempts = t.attempts + 1;
    if (attempts >= this.settings.attempts) return this.fail(t, `${why} (after ${attempts} attempts)`);
    const inMs = this.settings.retryBaseMs * 2 ** (attempts - 1);
    this.deps.log.info({ task: t.id, attempts, inMs, why }, 'scan step will be retried');
    await rescheduleScanTask(this.deps.db, t.id, this.id, { inMs, attempts, requestId, error: why });
  }

  private async fail(t: ScanTaskContext, why: string): Promise<void> {
    await this.deps.db.tx(async (q) => {
      if (!(await endScanTask(q, t.id, this.id, 'Error', why))) return;
      await recordAudit(q, {
        operation: 'scan',
        resourceType: 'artifact',
        resource: `${t.repository}@${t.digest}: ${why}`,
        projectName: t.repository.split('/')[0],
        actor: scanActor,
        ok: false,
        errorCode: 'SCAN_FAILED',
      });
    });
    this.deps.log.warn({ task: t.id, artifact: `${t.repository}@${t.digest}`, why }, 'scan failed');
  }
}

/** The task was stopped while its report arrived: the stop wins and nothing is stored. */
class Stopped extends Error {}
