// The replication worker: takes tasks from the queue and copies (or deletes) one artifact
// each, turns pushes and deletions into event-based executions, fires scheduled rules, and
// takes back tasks whose worker died. Any number of workers may run against one database;
// a task runs only for the worker that claimed its row, under a lease it keeps renewing.
// See docs/design/0011.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Cron } from 'croner';
import type PgBoss from 'pg-boss';
import { tokenIssuer } from '../server/auth/resolvers.js';
import { issueToken, parseScope, type SigningKey } from '../server/auth/tokens.js';
import type { AccessEntry } from '../server/lib/principal.js';
import type { Database } from '../server/db/database.js';
import { insertProject } from '../server/projects/projects.js';
import { findRegistry } from '../server/db/registries.js';
import {
  addTasks,
  appendTaskLog,
  claimTask,
  closeExecutionIfDone,
  createExecution,
  endAttempt,
  eventRuleIds,
  failExecution,
  findExecution,
  findTaskForRun,
  lockOpenExecution,
  reclaimableTasks,
  renewLease,
  scheduledRules,
  takeEvents,
  type ExecutionTrigger,
  type NewTask,
  type TaskRow,
} from '../server/db/replicationExecutions.js';
import { findPolicy, type PolicyRow } from '../server/db/replicationPolicies.js';
import type { Logger } from '../server/log/logger.js';
import { PermanentError, RegistryClient, type RetryPolicy, withRetry } from '../server/replication/client.js';
import { copyArtifact } from '../server/replication/copy.js';
import { eventTask, localTasks, remoteTasks } from '../server/replication/plan.js';
import { openQueue, planQueue, sendPlan, sendTasks, taskQueue, type PlanJob, type TaskJob } from '../server/replication/queue.js';
import { remoteOf } from '../server/replication/registries.js';
import type { SecretBox } from '../server/replication/secretBox.js';
import { NamingError } from '../server/replication/selection.js';
import { removeWorker, saveWorkerBeat } from '../server/db/replicationWorkers.js';
import { localRegistryProblem, localUrlSetting } from './localRegistry.js';
import type { AllowedNetworks } from '../server/replication/targets.js';
import { projectOf } from '../server/lib/references.js';

export interface WorkerDeps {
  db: Database;
  box: SecretBox;
  allow: AllowedNetworks;
  keys: () => SigningKey[];
  tokenService: string;
  /** This Berth's own /v2, as the worker reaches it. */
  localUrl: string;
  log: Logger;
}

export interface WorkerSettings {
  /** Tasks run at once by this worker. */
  concurrency: number;
  /** A task whose worker has not renewed its lease for this long is taken again. */
  leaseSeconds: number;
  /** How often pushes, deletions and schedules are looked at. */
  tickMs: number;
  /** How often dead workers' tasks and lost jobs are looked for. */
  sweepMs: number;
  /** Attempts of a task from a manual or scheduled run, and of an event-based one. */
  attempts: number;
  eventAttempts: number;
  /** Backoff between attempts of a task: base * 2^(attempt-1), at most max. */
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  /** Retries of single requests within one attempt. */
  requestRetry: RetryPolicy;
  pollingIntervalSeconds: number;
  /** How long after start an unreachable Berth is taken for one still starting (its port not bound yet). */
  localGraceMs: number;
}

export const defaultWorkerSettings: WorkerSettings = {
  concurrency: 4,
  leaseSeconds: 30,
  tickMs: 1000,
  sweepMs: 5000,
  attempts: 5,
  // Harbor forgets failed event-based replications; these keep trying for about 8 hours.
  eventAttempts: 10,
  retryBaseSeconds: 30,
  retryMaxSeconds: 3600,
  requestRetry: { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 },
  pollingIntervalSeconds: 2,
  localGraceMs: 10_000,
};

/** The actor the worker's own pushes to this Berth appear as in the audit log. */
export const replicationActor = 'replication';

export class ReplicationWorker {
  readonly id = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly settings: WorkerSettings;
  private boss?: PgBoss;
  private workerIds: string[] = [];
  private timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<number, AbortController>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly schedules = new Map<number, { cron: string; next: Date | null }>();
  private readonly localTokens = new Map<string, { header: string; until: number }>();
  private stopping = false;
  private ticking = false;
  /** Why this Berth's /v2 is not usable, as the last check found; undefined when it is. */
  private localProblem: string | undefined;
  private startedAt = Date.now();

  constructor(
    private readonly deps: WorkerDeps,
    settings: Partial<WorkerSettings> = {},
  ) {
    this.settings = { ...defaultWorkerSettings, ...settings };
  }

  async start(): Promise<void> {
    const { log } = this.deps;
    this.startedAt = Date.now();
    // NOTE: the server this worker belongs to may be binding its port right now (the
    // in-process worker starts beside it); the first verdict waits for the grace period.
    await this.checkLocal();
    await this.beat();
    this.boss = await openQueue(this.deps.db, { worker: true, onError: (err) => log.warn({ err }, 'replication queue error') });
    const work = { batchSize: 1, pollingIntervalSeconds: this.settings.pollingIntervalSeconds };
    for (let i = 0; i < this.settings.concurrency; i++) {
      this.workerIds.push(await this.boss.work<TaskJob>(taskQueue, work, ([job]) => this.track(this.runTask(job.data.taskId))));
    }
    // Plans come from servers, which cannot wake this process: poll for them more often.
    const planWork = { ...work, pollingIntervalSeconds: Math.min(0.5, work.pollingIntervalSeconds) };
    this.workerIds.push(await this.boss.work<PlanJob>(planQueue, planWork, ([job]) => this.track(this.plan(job.data.executionId))));
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
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    for (const c of this.running.values()) c.abort();
    await Promise.allSettled([...this.inFlight]);
    await this.boss?.stop({ graceful: true, wait: true, timeout: 10_000, close: false });
    await removeWorker(this.deps.db, this.id).catch(() => undefined);
  }

  /**
   * Whether this Berth's /v2 is usable; says so in one log line each time the answer
   * changes. Within the grace period after start a problem is returned but not yet taken
   * as the verdict (neither logged nor reported).
   */
  async checkLocal(): Promise<string | undefined> {
    const problem = await localRegistryProblem((signal) => this.localClient(signal), this.deps.localUrl);
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
      if (!problem || Date.now() - this.startedAt >= this.settings.localGraceMs || this.stopping) return problem;
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

  private wake(): void {
    for (const id of this.workerIds) this.boss?.notifyWorker(id);
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopping) return;
    this.ticking = true;
    try {
      await this.drainEvents();
      await this.fireSchedules();
    } finally {
      this.ticking = false;
    }
  }

  /** Pushes and deletions become one event-based execution per rule that selects them. */
  async drainEvents(): Promise<void> {
    // NOTE: while this Berth is out of reach the events wait in the outbox, where nothing is
    // lost, rather than becoming executions that could only fail.
    if (this.localProblem) return;
    const boss = this.boss!;
    const made = await this.deps.db.tx(async (q) => {
      const events = await takeEvents(q, 500);
      if (!events.length) return 0;
      let count = 0;
      for (const id of await eventRuleIds(q)) {
        const policy = await findPolicy(q, id);
        if (!policy) continue;
        const tasks = new Map<string, NewTask>();
        for (const e of events) {
          try {
            const t = eventTask(policy, e);
            if (t) tasks.set(JSON.stringify(t), t);
          } catch (err) {
            if (!(err instanceof NamingError)) throw err;
            this.deps.log.warn({ rule: policy.name, repository: e.repository, err: err.message }, 'event not replicated');
          }
        }
        if (!tasks.size) continue;
        const executionId = (await createExecution(q, policy.id, 'event_based'))!;
        await sendTasks(boss, q, await addTasks(q, executionId, this.settings.eventAttempts, [...tasks.values()]));
        count++;
      }
      return count;
    });
    if (made) this.wake();
  }

  /** A scheduled rule fires once per tick of its cron, however many workers watch it. */
  async fireSchedules(): Promise<void> {
    const now = new Date();
    const rules = await scheduledRules(this.deps.db);
    for (const id of this.schedules.keys()) if (!rules.some((r) => r.id === id)) this.schedules.delete(id);
    for (const r of rules) {
      let s = this.schedules.get(r.id);
      if (!s || s.cron !== r.cron) {
        s = { cron: r.cron, next: new Cron(r.cron, { paused: true }).nextRun(now) };
        this.schedules.set(r.id, s);
      }
      if (!s.next || s.next > now) continue;
      const at = s.next;
      s.next = new Cron(r.cron, { paused: true }).nextRun(now);
      await this.startExecution(r.id, 'scheduled', at);
    }
  }

  /** Opens an execution and queues its planning (undefined when this tick already ran). */
  async startExecution(policyId: number, trigger: ExecutionTrigger, scheduledFor?: Date): Promise<number | undefined> {
    const id = await this.deps.db.tx(async (q) => {
      const executionId = await createExecution(q, policyId, trigger, scheduledFor);
      if (executionId !== undefined) await sendPlan(this.boss!, q, executionId);
      return executionId;
    });
    if (id !== undefined) this.wake();
    return id;
  }

  private async sweep(): Promise<void> {
    if (this.stopping) return;
    await this.checkLocal();
    await this.beat();
    const ids = await reclaimableTasks(this.deps.db, Math.max(60, 2 * this.settings.leaseSeconds));
    if (ids.length) {
      this.deps.log.info({ tasks: ids }, 'replication tasks queued again');
      await sendTasks(this.boss!, undefined, ids);
      this.wake();
    }
  }

  /** Lists what the execution's rule selects and queues one task per artifact. */
  async plan(executionId: number): Promise<void> {
    const { db, log } = this.deps;
    const execution = await findExecution(db, executionId);
    if (execution?.status !== 'InProgress' || execution.total > 0) return;
    const unreachable = await this.localUsable();
    if (unreachable) return failExecution(db, executionId, unreachable);
    const policy = await findPolicy(db, execution.policy_id);
    if (!policy) return failExecution(db, executionId, 'the rule was deleted');
    try {
      const tasks = policy.src_registry_id === null ? await localTasks(db, policy) : await remoteTasks(await this.remoteClient(policy.src_registry_id), policy);
      const planned = await db.tx(async (q) => {
        const open = await lockOpenExecution(q, executionId);
        if (!open || open.tasks > 0) return false;
        const attempts = execution.trigger === 'event_based' ? this.settings.eventAttempts : this.settings.attempts;
        await sendTasks(this.boss!, q, await addTasks(q, executionId, attempts, tasks));
        return true;
      });
      if (planned) log.info({ execution: executionId, rule: policy.name, tasks: tasks.length }, 'replication execution planned');
      this.wake();
      await closeExecutionIfDone(db, executionId);
    } catch (err) {
      log.warn({ err, execution: executionId }, 'replication execution could not be planned');
      await failExecution(db, executionId, `listing what to replicate failed: ${(err as Error).message}`);
    }
  }

  private async remoteClient(registryId: number, signal?: AbortSignal): Promise<RegistryClient> {
    const row = await findRegistry(this.deps.db, registryId);
    if (!row) throw new PermanentError(`registry ${registryId} no longer exists`);
    return new RegistryClient(remoteOf(this.deps, row), this.deps.allow, { signal });
  }

  /** This Berth's /v2 with tokens the worker signs itself (it holds the signing key). */
  private localClient(signal?: AbortSignal): RegistryClient {
    return new RegistryClient(
      { url: this.deps.localUrl, insecure: true },
      { loopback: true, private: true },
      { signal, authorize: (scope) => this.localAuthorization(scope) },
    );
  }

  private localAuthorization(scope: string): string {
    const cached = this.localTokens.get(scope);
    if (cached && cached.until > Date.now()) return cached.header;
    const access = scope
      .split(' ')
      .map(parseScope)
      .filter((a): a is AccessEntry => !!a);
    const { token } = issueToken(this.deps.keys()[0], {
      issuer: tokenIssuer,
      service: this.deps.tokenService,
      subject: replicationActor,
      access,
      ttlSeconds: 3600,
    });
    const header = `Bearer ${token}`;
    this.localTokens.set(scope, { header, until: Date.now() + 50 * 60_000 });
    return header;
  }

  /** A pull rule copies into a project that may not exist here yet: Harbor creates it (private). */
  private async ensureLocalProject(repository: string): Promise<void> {
    const name = projectOf(repository);
    if (!name) throw new PermanentError(`${repository} is not <project>/<name>: give the rule a destination namespace`);
    await insertProject(this.deps.db, { name, public: false, ownerId: null }, { username: replicationActor, actorType: 'system' });
  }

  async runTask(taskId: number): Promise<void> {
    const { db, log } = this.deps;
    if (this.stopping) return;
    const task = await claimTask(db, taskId, this.id, this.settings.leaseSeconds);
    if (!task) return;
    const run = await findTaskForRun(db, taskId);
    const policy = run && (await findPolicy(db, run.policy_id));
    const lines: string[] = [];
    const note = (line: string) => lines.push(`${new Date().toISOString()} ${line}\n`);
    const takeLines = () => lines.splice(0).join('');
    const abort = new AbortController();
    this.running.set(taskId, abort);
    let bytes = 0;
    if (task.previous_worker) note(`took over from worker ${task.previous_worker}, which stopped answering`);
    note(
      `attempt ${task.attempts} of ${task.max_attempts} on ${this.id}: ${task.operation} ${task.src_repository}:${task.reference} -> ${task.dst_repository}`,
    );
    const heartbeat = setInterval(
      () => {
        const text = takeLines();
        void (async () => {
          if (text) await appendTaskLog(db, taskId, text);
          if (!(await renewLease(db, taskId, this.id, this.settings.leaseSeconds, bytes))) abort.abort();
        })().catch((err) => log.warn({ err, task: taskId }, 'replication lease renewal failed'));
      },
      (this.settings.leaseSeconds * 1000) / 3,
    );
    try {
      if (!policy) throw new PermanentError('the rule was deleted');
      const digest = await this.perform(policy, task, abort.signal, note, (n) => (bytes += n));
      note('done');
      await endAttempt(db, taskId, this.id, { status: 'Succeed', text: '', bytes, digest, log: takeLines() });
      log.info({ task: taskId, execution: task.execution_id, bytes }, 'replication task succeeded');
    } catch (err) {
      const message = (err as Error).message;
      if (abort.signal.aborted && !this.stopping) {
        // Stopped, or taken over after a lost lease: the row is no longer ours to write.
        await appendTaskLog(db, taskId, `${takeLines()}${new Date().toISOString()} stopped: ${message}\n`);
      } else if (this.stopping) {
        note(`worker shutting down; handing the task back`);
        await endAttempt(db, taskId, this.id, { status: 'Pending', text: 'worker shut down', bytes, retryInSeconds: 0, log: takeLines() });
        await sendTasks(this.boss!, undefined, [taskId]).catch(() => undefined);
      } else if (task.attempts < task.max_attempts && !(err instanceof PermanentError) && !(err instanceof NamingError)) {
        const delay = Math.min(this.settings.retryMaxSeconds, this.settings.retryBaseSeconds * 2 ** (task.attempts - 1));
        note(`failed: ${message}; attempt ${task.attempts + 1} in ${delay} s`);
        await endAttempt(db, taskId, this.id, { status: 'Pending', text: message, bytes, retryInSeconds: delay, log: takeLines() });
        await sendTasks(this.boss!, undefined, [taskId], delay);
        log.warn({ task: taskId, attempt: task.attempts, err: message }, 'replication task failed; will retry');
      } else {
        note(`failed: ${message}`);
        await endAttempt(db, taskId, this.id, { status: 'Failed', text: message, bytes, log: takeLines() });
        log.warn({ task: taskId, err: message }, 'replication task failed');
      }
    } finally {
      clearInterval(heartbeat);
      this.running.delete(taskId);
    }
    await closeExecutionIfDone(db, task.execution_id);
  }

  /** Does the task's work; returns the artifact's digest. */
  private async perform(
    policy: PolicyRow,
    task: TaskRow,
    signal: AbortSignal,
    note: (line: string) => void,
    onBytes: (n: number) => void,
  ): Promise<string | undefined> {
    const push = policy.src_registry_id === null;
    const local = this.localClient(signal);
    const remote = await this.remoteClient((push ? policy.dest_registry_id : policy.src_registry_id)!, signal);
    const [src, dst] = push ? [local, remote] : [remote, local];
    if (!push) await this.ensureLocalProject(task.dst_repository);
    if (task.operation === 'deletion') {
      const removed = await withRetry(
        this.settings.requestRetry,
        `DELETE ${task.dst_repository}:${task.reference}`,
        () => dst.deleteManifest(task.dst_repository, task.reference),
        note,
      );
      note(removed ? `deleted ${task.dst_repository}:${task.reference}` : `${task.dst_repository}:${task.reference} was not there`);
      return undefined;
    }
    const { digest, progress } = await copyArtifact(src, task.src_repository, dst, task.dst_repository, task.reference, {
      retry: this.settings.requestRetry,
      log: note,
      tags: task.tags,
      override: policy.override,
      bytesPerSecond: policy.speed_kb > 0 ? policy.speed_kb * 1024 : undefined,
      referrers: true,
      onBytes,
    });
    note(
      `${progress.manifests} manifest(s), ${progress.blobsCopied} blob(s) copied (${progress.bytes} bytes), ${progress.blobsMounted} mounted, ${progress.blobsSkipped} already there`,
    );
    return digest;
  }
}
