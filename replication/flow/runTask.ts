// One task's attempt: claim its row under a lease, copy (or delete) its artifact, keep the
// lease and the log going while it runs, and end the attempt as done, to retry or failed.
// A task whose lease was lost (stopped, or taken over) is no longer this worker's to write.
import { closeExecutionIfDone } from '../../server/db/replicationExecutions.js';
import { findPolicy, type PolicyRow } from '../../server/db/replicationPolicies.js';
import { appendTaskLog, claimTask, endAttempt, findTaskForRun, renewLease, type TaskRow } from '../../server/db/replicationTasks.js';
import { projectOf } from '../../server/lib/references.js';
import { insertProject } from '../../server/projects/projects.js';
import { sendTasks } from '../../server/replication/queue.js';
import { replicationActor, type WorkerContext } from '../context.js';
import { PermanentError, withRetry } from '../transfer/client.js';
import { copyArtifact } from '../transfer/copy.js';
import { NamingError } from './selection.js';

export async function runTask(w: WorkerContext, taskId: number): Promise<void> {
  const { db, log } = w.deps;
  if (w.stopping) return;
  const task = await claimTask(db, taskId, w.id, w.settings.leaseSeconds);
  if (!task) return;
  const run = await findTaskForRun(db, taskId);
  const policy = run && (await findPolicy(db, run.policy_id));
  const lines: string[] = [];
  const note = (line: string) => lines.push(`${new Date().toISOString()} ${line}\n`);
  const takeLines = () => lines.splice(0).join('');
  const abort = new AbortController();
  w.running.set(taskId, abort);
  let bytes = 0;
  if (task.previous_worker) note(`took over from worker ${task.previous_worker}, which stopped answering`);
  note(`attempt ${task.attempts} of ${task.max_attempts} on ${w.id}: ${task.operation} ${task.src_repository}:${task.reference} -> ${task.dst_repository}`);
  const heartbeat = setInterval(
    () => {
      const text = takeLines();
      void (async () => {
        if (text) await appendTaskLog(db, taskId, text);
        if (!(await renewLease(db, taskId, w.id, w.settings.leaseSeconds, bytes))) abort.abort();
      })().catch((err) => log.warn({ err, task: taskId }, 'replication lease renewal failed'));
    },
    (w.settings.leaseSeconds * 1000) / 3,
  );
  try {
    if (!policy) throw new PermanentError('the rule was deleted');
    const digest = await perform(w, policy, task, abort.signal, note, (n) => (bytes += n));
    note('done');
    await endAttempt(db, taskId, w.id, { status: 'Succeed', text: '', bytes, digest, log: takeLines() });
    log.info({ task: taskId, execution: task.execution_id, bytes }, 'replication task succeeded');
  } catch (err) {
    const message = (err as Error).message;
    if (abort.signal.aborted && !w.stopping) {
      // Stopped, or taken over after a lost lease: the row is no longer ours to write.
      await appendTaskLog(db, taskId, `${takeLines()}${new Date().toISOString()} stopped: ${message}\n`);
    } else if (w.stopping) {
      note(`worker shutting down; handing the task back`);
      await endAttempt(db, taskId, w.id, { status: 'Pending', text: 'worker shut down', bytes, retryInSeconds: 0, log: takeLines() });
      await sendTasks(w.boss, undefined, [taskId]).catch(() => undefined);
    } else if (task.attempts < task.max_attempts && !(err instanceof PermanentError) && !(err instanceof NamingError)) {
      const delay = Math.min(w.settings.retryMaxSeconds, w.settings.retryBaseSeconds * 2 ** (task.attempts - 1));
      note(`failed: ${message}; attempt ${task.attempts + 1} in ${delay} s`);
      await endAttempt(db, taskId, w.id, { status: 'Pending', text: message, bytes, retryInSeconds: delay, log: takeLines() });
      await sendTasks(w.boss, undefined, [taskId], delay);
      log.warn({ task: taskId, attempt: task.attempts, err: message }, 'replication task failed; will retry');
    } else {
      note(`failed: ${message}`);
      await endAttempt(db, taskId, w.id, { status: 'Failed', text: message, bytes, log: takeLines() });
      log.warn({ task: taskId, err: message }, 'replication task failed');
    }
  } finally {
    clearInterval(heartbeat);
    w.running.delete(taskId);
  }
  await closeExecutionIfDone(db, task.execution_id);
}

/** A pull rule copies into a project that may not exist here yet: Harbor creates it (private). */
async function ensureLocalProject(w: WorkerContext, repository: string): Promise<void> {
  const name = projectOf(repository);
  if (!name) throw new PermanentError(`${repository} is not <project>/<name>: give the rule a destination namespace`);
  await insertProject(w.deps.db, { name, public: false, ownerId: null }, { username: replicationActor, actorType: 'system' });
}

/** Does the task's work; returns the artifact's digest. */
async function perform(
  w: WorkerContext,
  policy: PolicyRow,
  task: TaskRow,
  signal: AbortSignal,
  note: (line: string) => void,
  onBytes: (n: number) => void,
): Promise<string | undefined> {
  const push = policy.src_registry_id === null;
  const local = w.clients.local(signal);
  const remote = await w.clients.remote((push ? policy.dest_registry_id : policy.src_registry_id)!, signal);
  const [src, dst] = push ? [local, remote] : [remote, local];
  if (!push) await ensureLocalProject(w, task.dst_repository);
  if (task.operation === 'deletion') {
    const removed = await withRetry(
      w.settings.requestRetry,
      `DELETE ${task.dst_repository}:${task.reference}`,
      () => dst.deleteManifest(task.dst_repository, task.reference),
      note,
    );
    note(removed ? `deleted ${task.dst_repository}:${task.reference}` : `${task.dst_repository}:${task.reference} was not there`);
    return undefined;
  }
  const { digest, progress } = await copyArtifact(src, task.src_repository, dst, task.dst_repository, task.reference, {
    retry: w.settings.requestRetry,
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
