// Runs garbage collection where it is asked for: every server's primary process polls for
// a Pending run (or one whose server died) and fires the schedule's ticks; one run at a
// time across all servers. A run's counts and log reach its row at each lease renewal, and
// a stop asked through the API is noticed there too.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { recordAudit } from '../audit/record.js';
import type { Database } from '../db/database.js';
import {
  claimGcExecution,
  createGcExecution,
  endGcExecution,
  findGcSchedule,
  releaseGcExecution,
  renewGcExecution,
  type GcExecutionRow,
  type GcProgress,
} from '../db/gcExecutions.js';
import type { Logger } from '../log/logger.js';
import { collectGarbage, emptyResult, type GcResult } from '../registry/gc.js';
import type { BlobStore } from '../storage/blobStore.js';
import { defaultLoadGateSettings, LoadGate, type LoadGateSettings } from './loadGate.js';
import { ScheduleTick } from '../lib/scheduleTick.js';

export interface GcRunnerSettings {
  /** BERTH_GC_REVIEW_DELAY. */
  reviewDelayMs: number;
  leaseSeconds: number;
  pollMs: number;
  /** Rest after each batch, as a multiple of the batch's time (gc.ts GcOptions.pace). */
  pace?: number;
  /** Yield to pushes and pulls while the machine is busy (gc/loadGate.ts); off, a run keeps its pace whatever the load. */
  yieldToLoad?: LoadGateSettings | false;
}

export const defaultGcRunnerSettings: Omit<GcRunnerSettings, 'reviewDelayMs'> = {
  leaseSeconds: 30,
  pollMs: 2000,
  pace: 1,
  yieldToLoad: defaultLoadGateSettings,
};

/** A run's log keeps this many lines of what it deleted; the counts cover the rest. */
const maxLoggedLines = 10_000;

const gcActor = { username: 'gc', actorType: 'system' as const };

export class GcRunner {
  readonly id = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer?: NodeJS.Timeout;
  private busy?: Promise<void>;
  private current?: AbortController;
  private stopping = false;
  private readonly schedule = new ScheduleTick();

  constructor(
    private readonly deps: { db: Database; store: BlobStore; log: Logger },
    private readonly settings: GcRunnerSettings,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.settings.pollMs);
    this.timer.unref();
  }

  /** Stops polling; a run in progress stops between batches and is marked Stopped. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    this.current?.abort();
    await this.busy;
  }

  /** One poll: fire the schedule if due, then run what is waiting. Resolves when that run has ended. */
  tick(): Promise<void> {
    if (this.busy || this.stopping) return this.busy ?? Promise.resolve();
    this.busy = (async () => {
      try {
        await this.fireSchedule();
        const row = await this.deps.db.tx((q) => claimGcExecution(q, this.id, this.settings.leaseSeconds));
        if (row) await this.run(row);
      } catch (err) {
        this.deps.log.warn({ err }, 'garbage collection step failed');
      } finally {
        this.busy = undefined;
      }
    })();
    return this.busy;
  }

  private async fireSchedule(): Promise<void> {
    const s = await findGcSchedule(this.deps.db);
    const at = this.schedule.due(s.type === 'None' ? '' : s.cron);
    if (!at) return;
    // One run per tick however many servers fire it: the tick's time is unique.
    const id = await createGcExecution(this.deps.db, 'SCHEDULE', s, at);
    if (id !== undefined) this.deps.log.info({ run: id, at }, 'scheduled garbage collection queued');
  }

  private async run(row: GcExecutionRow): Promise<void> {
    const { db, store, log } = this.deps;
    const abort = new AbortController();
    this.current = abort;
    const lines: string[] = [];
    let logged = 0;
    let dropped = 0;
    // The cap is for the lines of what was deleted; the run's closing lines always go in.
    const note = (line: string, closing = false) => {
      if (logged >= maxLoggedLines && !closing) return void dropped++;
      logged++;
      lines.push(`${new Date().toISOString()} ${line}\n`);
    };
    const takeLines = () => lines.splice(0).join('');
    const result = emptyResult();
    const progress = (r: GcResult): GcProgress => ({
      manifests: r.manifests,
      links: r.links,
      blobs: r.blobs,
      freedBytes: r.freedBytes,
      postponed: r.postponed,
    });
    note(
      `run ${row.id} on ${this.id}: ${row.dry_run ? 'dry run, ' : ''}${row.delete_untagged ? 'untagged manifests too, ' : ''}${row.workers} worker(s), review delay ${this.settings.reviewDelayMs / 1000} s`,
    );
    const heartbeat = setInterval(
      () =>
        void renewGcExecution(db, row.id, this.id, this.settings.leaseSeconds, progress(result), takeLines())
          .then(({ stop }) => stop && abort.abort())
          .catch((err) => log.warn({ err, run: row.id }, 'garbage collection lease renewal failed')),
      (this.settings.leaseSeconds * 1000) / 3,
    );
    let status: 'Success' | 'Error' | 'Stopped' = 'Success';
    let error: string | undefined;
    const gate = this.settings.yieldToLoad ? new LoadGate(this.settings.yieldToLoad) : undefined;
    try {
      await collectGarbage(
        { db, store },
        {
          reviewDelayMs: this.settings.reviewDelayMs,
          deleteUntagged: row.delete_untagged,
          dryRun: row.dry_run,
          workers: row.workers,
          log: note,
          signal: abort.signal,
          result,
          pace: this.settings.pace,
          gate,
        },
      );
      if (abort.signal.aborted) status = 'Stopped';
      if (this.stopping) {
        // Shutting down, not stopped by anyone: another server (or this one, restarted)
        // resumes the run; what is done stays done.
        note('server shutting down; the run is handed back', true);
        await releaseGcExecution(db, row.id, this.id, progress(result), takeLines());
        return;
      }
    } catch (err) {
      status = 'Error';
      error = (err as Error).message;
      note(`failed: ${error}`, true);
      log.warn({ err, run: row.id }, 'garbage collection failed');
    } finally {
      clearInterval(heartbeat);
      this.current = undefined;
    }
    if (dropped) note(`${dropped} more line(s) not logged`, true);
    if (gate?.probes.all)
      note(`load probes: ${gate.probes.busy} of ${gate.probes.all} found the machine busy${gate.probes.busy ? ', and the run yielded' : ''}`, true);
    note(
      `${status.toLowerCase()}: ${result.manifests} manifest(s), ${result.links} link(s), ${result.blobs} blob(s) ${row.dry_run ? 'would be deleted' : 'deleted'}, ${result.freedBytes} bytes${row.dry_run ? ' would be' : ''} freed, ${result.postponed} postponed`,
      true,
    );
    await db.tx(async (q) => {
      if (!(await endGcExecution(q, row.id, this.id, status, progress(result), takeLines(), error))) return;
      if (!row.dry_run)
        await recordAudit(q, {
          operation: 'delete',
          resourceType: 'gc_execution',
          resource: `run ${row.id}: ${result.manifests} manifests, ${result.links} links, ${result.blobs} blobs, ${result.freedBytes} bytes`,
          actor: gcActor,
          ok: status !== 'Error',
        });
    });
    log.info({ run: row.id, status, ...progress(result) }, 'garbage collection ended');
  }
}
