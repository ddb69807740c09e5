// The asynchronous audit writer of one process: pulls and logins are queued in memory and
// appended in batches, so a pull burst never waits on the audit log. While a row waits,
// identical events (same actor, client, operation, resource and outcome) add to its count
// instead of queuing rows of their own: a burst from one client costs one row, which is
// what keeps recording pulls within a few percent of not recording them. A bounded queue keeps
// memory flat when the database is away; what overflows is counted, and the count is
// stored with the next batch that makes it (audit_chain.dropped). close() drains the
// queue, so a clean shutdown loses nothing.
import type { Database } from '../db/database.js';
import type { Logger } from '../log/logger.js';
import type { AuditQueue } from './context.js';
import { appendPending, type PendingRow } from './record.js';

export interface AuditWriterOptions {
  enabled?: boolean;
  intervalMs?: number;
  maxBatch?: number;
  maxPending?: number;
  log?: Logger;
}

export class AuditWriter implements AuditQueue {
  readonly enabled: boolean;
  private pending: PendingRow[] = [];
  /** Rows still waiting (not yet taken by a flush), by what makes events identical. */
  private open = new Map<string, PendingRow>();
  /** Dropped and not yet counted in the database. */
  private dropped = 0;
  private written = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private readonly intervalMs: number;
  private readonly maxBatch: number;
  private readonly maxPending: number;

  constructor(
    private readonly db: Database,
    private readonly opts: AuditWriterOptions = {},
  ) {
    this.enabled = opts.enabled ?? true;
    this.intervalMs = opts.intervalMs ?? 1000;
    this.maxBatch = opts.maxBatch ?? 1000;
    this.maxPending = opts.maxPending ?? 100_000;
  }

  enqueue(row: PendingRow): void {
    const key = identity(row);
    const same = this.open.get(key);
    if (same) {
      same.count++;
      return;
    }
    if (this.pending.length >= this.maxPending) {
      this.dropped++;
      return;
    }
    this.pending.push(row);
    this.open.set(key, row);
    this.schedule(this.pending.length >= this.maxBatch ? 0 : this.intervalMs);
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.flushing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
    this.timer.unref();
  }

  /** Writes everything queued so far (one batch per transaction). */
  flush(): Promise<void> {
    // A drain under way (the timer's) writes only the rows queued when it began: wait for
    // it, then write what was queued since, or a caller's flush would return with rows left.
    if (this.flushing) return this.flushing.then(() => (this.pending.length ? this.flush() : undefined));
    this.flushing = this.drain().finally(() => {
      this.flushing = undefined;
      if (this.pending.length || this.dropped) this.schedule(Math.min(this.intervalMs * 2 ** this.failures, 30_000));
    });
    return this.flushing;
  }

  // Writes the rows queued when it started; rows queued meanwhile wait for the next tick,
  // so they get their second to gather identical events instead of following at once.
  private async drain(): Promise<void> {
    let left = this.pending.length;
    while (left > 0 || this.dropped) {
      const batch = this.pending.slice(0, Math.min(this.maxBatch, left));
      // Taken rows are closed before the first await: a count that changed while its row
      // is being hashed and written would be lost or break the chain.
      for (const r of batch) {
        const key = identity(r);
        if (this.open.get(key) === r) this.open.delete(key);
      }
      const dropped = this.dropped;
      try {
        await this.db.tx((q) => appendPending(q, batch, dropped));
      } catch (err) {
        this.failures = Math.min(this.failures + 1, 5);
        this.opts.log?.warn({ err, pending: this.pending.length }, 'audit writer could not write; will retry');
        return;
      }
      this.failures = 0;
      this.pending.splice(0, batch.length);
      left -= batch.length;
      this.dropped -= dropped;
      this.written += batch.length;
    }
  }

  stats(): { pending: number; dropped: number; written: number } {
    return { pending: this.pending.length, dropped: this.dropped, written: this.written };
  }

  /** Stops the timer and drains the queue (giving up after timeoutMs). */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + timeoutMs;
    while ((this.pending.length || this.dropped) && Date.now() < deadline) {
      await this.flush();
      if (this.pending.length) await new Promise((r) => setTimeout(r, 100));
    }
  }
}

// NOTE: on the pull path, so a plain join (\u0001 appears in none of these fields) rather
// than JSON.stringify.
function identity(r: PendingRow): string {
  return `${r.operation}\u0001${r.resourceType}\u0001${r.resource}\u0001${r.username}\u0001${r.actorType}\u0001${r.clientAddress}\u0001${r.userAgent}\u0001${r.projectName}\u0001${r.projectId}\u0001${r.isSuccessful}\u0001${r.errorCode}`;
}
