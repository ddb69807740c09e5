// The replication worker's loop: takes tasks and plans from the queue, turns pushes and
// deletions into event-based executions and fires scheduled rules on each tick, and on each
// sweep takes back tasks whose worker died and reports its own health. Any number of
// workers may run against one database; a task runs only for the worker that claimed its
// row, under a lease it keeps renewing (flow/runTask.ts). See docs/design/0011.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type PgBoss from 'pg-boss';
import { reclaimableTasks } from '../server/db/replicationTasks.js';
import { removeWorker, saveWorkerBeat } from '../server/db/replicationWorkers.js';
import { openQueue, planQueue, sendTasks, taskQueue, type PlanJob, type TaskJob } from '../server/replication/queue.js';
import { defaultWorkerSettings, type WorkerContext, type WorkerDeps, type WorkerSettings } from './context.js';
import { drainEvents } from './flow/events.js';
import { planExecution, startExecution } from './flow/executions.js';
import { runTask } from './flow/runTask.js';
import { Schedules } from './flow/schedules.js';
import { WorkerClients } from './transfer/clients.js';
import { localRegistryProblem, localUrlSetting } from './transfer/localRegistry.js';

export class ReplicationWorker implements WorkerContext {
  readonly id = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly settings: WorkerSettings;
  readonly clients: WorkerClients;
  readonly running = new Map<number, AbortController>();
  private queue?: PgBoss;
  private workerIds: string[] = [];
  private timers: NodeJS.Timeout[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly schedules = new Schedules();
  private isStopping = false;
  private ticking = false;
  /** Why this Berth's /v2 is not usable, as the last check found; undefined when it is. */
  private localProblem: string | undefined;
  private startedAt = Date.now();

  constructor(
    readonly deps: WorkerDeps,
    settings: Partial<WorkerSettings> = {},
  ) {
    this.settings = { ...defaultWorkerSettings, ...settings };
    this.clients = new WorkerClients(deps);
  }

  get boss(): PgBoss {
    if (!this.queue) throw new Error('the replication worker has not started');
    return this.queue;
  }

  get stopping(): boolean {
    return this.isStopping;
  }

  async start(): Promise<void> {
    const { log } = this.deps;
    this.startedAt = Date.now();
    // NOTE: the server this worker belongs to may be binding its port right now (the
    // in-process worker starts beside it); the first verdict waits for the grace period.
    await this.checkLocal();
    await this.beat();
    this.queue = await openQueue(this.deps.db, { worker: true, onError: (err) => log.warn({ err }, 'replication queue error') });
    const work = { batchSize: 1, pollingIntervalSeconds: this.settings.pollingIntervalSeconds };
    for (let i = 0; i < this.settings.concurrency; i++) {
      this.workerIds.push(await this.queue.work<TaskJob>(taskQueue, work, ([job]) => this.track(runTask(this, job.data.taskId))));
    }
    // Plans come from servers, which cannot wake this process: poll for them more often.
    const planWork = { ...work, pollingIntervalSeconds: Math.min(0.5, work.pollingIntervalSeconds) };
    this.workerIds.push(
      await this.queue.work<PlanJob>(planQueue, planWork, ([job]) => this.track(planExecution(this, job.data.executionId, () => this.localUsable()))),
    );
    const every = (ms: number, fn: () => Promise<void>) => {
      // Tracked, so stop() waits for a step in progress: a sweep's heartbeat landing after
      // stop() removed this worker's row would bring it back into /api/v2.0/health.
      const t = setInterval(() => void this.track(fn()).catch((err) => log.warn({ err }, 'replication worker step failed')), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.settings.tickMs, () => this.tick());
    every(this.settings.sweepMs, () => this.sweep());
    log.info({ worker: this.id, concurrency: this.settings.concurrency, localUrl: this.deps.localUrl }, 'replication worker started');
  }

  /** Stops taking work; tasks being copied are handed back to the queue for another worker. */
  async stop(): Promise<void> {
    if (this.isStopping) return;
    this.isStopping = true;
    for (const t of this.timers) clearInterval(t);
    for (const c of this.running.values()) c.abort();
    await Promise.allSettled([...this.inFlight]);
    await this.queue?.stop({ graceful: true, wait: true, timeout: 10_000, close: false });
    await removeWorker(this.deps.db, this.id).catch(() => undefined);
  }

  wake(): void {
    for (const id of this.workerIds) this.queue?.notifyWorker(id);
  }

  /**
   * Whether this Berth's /v2 is usable; says so in one log line each time the answer
   * changes. Within the grace period after start a problem is returned but not yet taken
   * as the verdict (neither logged nor reported).
   */
  async checkLocal(): Promise<string | undefined> {
    const problem = await localRegistryProblem((signal) => this.clients.local(signal), this.deps.localUrl);
    if (problem && Date.now() - this.startedAt < this.settings.localGraceMs) return problem;
    if (problem && problem !== this.localProblem)
      this.deps.log.error({ setting: localUrlSetting, localUrl: this.deps.localUrl }, `replication worker: ${problem}`);
    else if (!problem && this.localProblem) this.deps.log.info({ localUrl: this.deps.localUrl }, 'replication worker reaches this Berth again');
    this.localProblem = problem;
    return problem;
  }

  /** The verdict on this Berth's /v2 for work about to start: waits out the grace period after start. */
  private async localUsable(): Promise<string | undefined> {
    for (;;) {
      const problem = await this.checkLocal();
      if (!problem || Date.now() - this.startedAt >= this.settings.localGraceMs || this.isStopping) return problem;
      await new Promise((res) => setTimeout(res, 500));
    }
  }

  /** The heartbeat /api/v2.0/health reads: alive now, and what the last check found. */
  private async beat(): Promise<void> {
    await saveWorkerBeat(this.deps.db, { id: this.id, local_url: this.deps.localUrl, reachable: !this.localProblem, problem: this.localProblem ?? null });
  }

  private async track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    try {
      return await p;
    } finally {
      this.inFlight.delete(p);
    }
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.isStopping) return;
    this.ticking = true;
    try {
      // NOTE: while this Berth is out of reach the events wait in the outbox, where nothing
      // is lost, rather than becoming executions that could only fail.
      if (!this.localProblem && (await drainEvents(this))) this.wake();
      for (const { policyId, at } of await this.schedules.due(this.deps.db, new Date())) await startExecution(this, policyId, 'scheduled', at);
    } finally {
      this.ticking = false;
    }
  }

  private async sweep(): Promise<void> {
    if (this.isStopping) return;
    await this.checkLocal();
    await this.beat();
    const ids = await reclaimableTasks(this.deps.db, Math.max(60, 2 * this.settings.leaseSeconds));
    if (ids.length) {
      this.deps.log.info({ tasks: ids }, 'replication tasks queued again');
      await sendTasks(this.boss, undefined, ids);
      this.wake();
    }
  }
}
