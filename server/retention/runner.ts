// Runs tag retention where it is asked for: every server's primary process polls for a
// Pending execution (or one whose server died) and fires the policies' schedules. An
// execution weighs each repository its rules select, one task per repository, and deletes
// (by digest, through registry/manifests.ts) what no rule keeps; a dry run only writes the
// table. A stop asked through the API is noticed between repositories and at each lease
// renewal.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Database } from '../db/database.js';
import { enabledRulesOfRepository } from '../db/immutableRules.js';
import {
  claimRetentionExecution,
  createRetentionExecution,
  endRetentionExecution,
  endRetentionTask,
  findRetentionPolicy,
  finishedRetentionRepositories,
  listScheduledRetentionPolicies,
  projectRepositories,
  releaseRetentionExecution,
  renewRetentionExecution,
  retentionCandidates,
  startRetentionTask,
  type RetentionCandidate,
  type RetentionExecutionRow,
} from '../db/retention.js';
import { findProjectById } from '../db/projects.js';
import { nextCronRun } from '../gc/runs.js';
import type { RetentionRuleView } from '../lib/harborTypes.js';
import type { Logger } from '../log/logger.js';
import { firstImmutable } from '../registry/immutability.js';
import { retireManifest } from '../registry/manifests.js';
import { describeRule, rulesFor, weigh } from './rules.js';

export interface RetentionRunnerSettings {
  leaseSeconds: number;
  pollMs: number;
}

export const defaultRetentionRunnerSettings: RetentionRunnerSettings = { leaseSeconds: 30, pollMs: 2000 };

const retentionActor = { username: 'retention', actorType: 'system' as const };

function kindOf(mediaType: string): string {
  return /index|manifest\.list/.test(mediaType) ? 'index' : 'image';
}

function row(c: RetentionCandidate, decision: string): string {
  return [c.digest, c.tags.join(',') || '<none>', kindOf(c.mediaType), c.pushedAt.toISOString(), c.pulledAt?.toISOString() ?? '-', decision].join(' | ');
}

const header = 'Digest | Tags | Kind | Pushed | Pulled | Retention';

export class RetentionRunner {
  readonly id = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer?: NodeJS.Timeout;
  private busy?: Promise<void>;
  private stopping = false;
  private schedules = new Map<number, { cron: string; next: Date | null }>();

  constructor(
    private readonly deps: { db: Database; log: Logger },
    private readonly settings: RetentionRunnerSettings = defaultRetentionRunnerSettings,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.settings.pollMs);
    this.timer.unref();
  }

  /** Stops polling; an execution in progress is handed back after its current artifact. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.busy;
  }

  /** One poll: fire due schedules, then run what is waiting, one execution after another. */
  tick(): Promise<void> {
    if (this.busy || this.stopping) return this.busy ?? Promise.resolve();
    this.busy = (async () => {
      try {
        await this.fireSchedules();
        for (;;) {
          const e = await claimRetentionExecution(this.deps.db, this.id, this.settings.leaseSeconds);
          if (!e || this.stopping) {
            if (e) await releaseRetentionExecution(this.deps.db, e.id, this.id);
            break;
          }
          await this.run(e);
        }
      } catch (err) {
        this.deps.log.warn({ err }, 'tag retention step failed');
      } finally {
        this.busy = undefined;
      }
    })();
    return this.busy;
  }

  private async fireSchedules(): Promise<void> {
    const now = new Date();
    const policies = await listScheduledRetentionPolicies(this.deps.db);
    const seen = new Set<number>();
    for (const p of policies) {
      seen.add(p.id);
      let s = this.schedules.get(p.id);
      if (s?.cron !== p.cron) {
        s = { cron: p.cron, next: nextCronRun(p.cron, now) };
        this.schedules.set(p.id, s);
      }
      if (!s.next || s.next > now) continue;
      const at = s.next;
      s.next = nextCronRun(p.cron, now);
      // One run per tick however many servers fire it: the tick's time is unique per policy.
      const id = await createRetentionExecution(this.deps.db, p.id, 'SCHEDULE', false, at);
      if (id !== undefined) this.deps.log.info({ policy: p.id, run: id, at }, 'scheduled tag retention queued');
    }
    for (const id of this.schedules.keys()) if (!seen.has(id)) this.schedules.delete(id);
  }

  private async run(e: RetentionExecutionRow): Promise<void> {
    const { db, log } = this.deps;
    let stop = false;
    const heartbeat = setInterval(
      () =>
        void renewRetentionExecution(db, e.id, this.id, this.settings.leaseSeconds)
          .then((r) => {
            if (r.stop) stop = true;
          })
          .catch((err) => log.warn({ err, run: e.id }, 'tag retention lease renewal failed')),
      (this.settings.leaseSeconds * 1000) / 3,
    );
    const halted = () => stop || this.stopping;
    let status: 'Success' | 'Error' | 'Stopped' = 'Success';
    let error: string | undefined;
    try {
      const policy = await findRetentionPolicy<RetentionRuleView[]>(db, e.policy_id);
      const project = policy && (await findProjectById(db, policy.project_id));
      if (!policy || !project) throw new Error(`policy ${e.policy_id} or its project is gone`);
      const done = await finishedRetentionRepositories(db, e.id);
      for (const repo of await projectRepositories(db, project.name)) {
        if ((await renewRetentionExecution(db, e.id, this.id, this.settings.leaseSeconds)).stop) stop = true;
        if (halted()) break;
        if (done.has(repo.name)) continue;
        const rules = rulesFor(policy.rules, repo.name);
        if (!rules.length) continue;
        await this.weighRepository(e, { repository: repo.name, repositoryId: repo.id, projectId: project.id }, rules, halted);
      }
      if (stop) status = 'Stopped';
      else if (this.stopping) {
        // Shutting down, not stopped by anyone: another server (or this one, restarted)
        // resumes the run with the repositories it has not finished.
        await releaseRetentionExecution(db, e.id, this.id);
        return;
      }
    } catch (err) {
      status = 'Error';
      error = (err as Error).message;
      log.warn({ err, run: e.id }, 'tag retention failed');
    } finally {
      clearInterval(heartbeat);
    }
    await endRetentionExecution(db, e.id, this.id, status, error);
    log.info({ run: e.id, policy: e.policy_id, status, dryRun: e.dry_run }, 'tag retention ended');
  }

  private async weighRepository(
    e: RetentionExecutionRow,
    place: { repository: string; repositoryId: number; projectId: number },
    rules: RetentionRuleView[],
    halted: () => boolean,
  ): Promise<void> {
    const { db } = this.deps;
    const taskId = await startRetentionTask(db, e.id, place.repository);
    const lines = [`${e.dry_run ? 'dry run: ' : ''}${place.repository}, ${rules.map(describeRule).join('; ')}`, header];
    let retained = 0;
    let deleted = 0;
    let status: 'Success' | 'Error' | 'Stopped' = 'Success';
    const candidates = await retentionCandidates(db, place.repositoryId);
    try {
      const immutable = await enabledRulesOfRepository(db, place.repository);
      for (const [c, keptBy] of weigh(rules, candidates, Date.now())) {
        if (keptBy.length) {
          retained++;
          lines.push(row(c, `RETAIN by ${keptBy.map((r) => `rule ${r.id} ${r.template}`).join(', ')}`));
          continue;
        }
        const hit = firstImmutable(immutable, place.repository, c.tags);
        if (hit) {
          retained++;
          lines.push(row(c, `RETAIN: tag ${hit.tag} is immutable (rule ${hit.rule.id})`));
          continue;
        }
        if (halted()) {
          status = 'Stopped';
          retained++;
          lines.push(row(c, 'RETAIN: the run was stopped'));
          continue;
        }
        if (e.dry_run) {
          deleted++;
          lines.push(row(c, 'WOULD DELETE (dry run)'));
          continue;
        }
        const kept = await retireManifest(db, place, c.digest, c.tags, retentionActor);
        if (kept) {
          retained++;
          lines.push(row(c, `RETAIN: ${kept}`));
        } else {
          deleted++;
          lines.push(row(c, 'DELETED'));
        }
      }
    } catch (err) {
      status = 'Error';
      lines.push(`failed: ${(err as Error).message}`);
      throw err;
    } finally {
      await endRetentionTask(db, taskId, { status, total: candidates.length, retained, deleted, log: `${lines.join('\n')}\n` });
    }
  }
}
