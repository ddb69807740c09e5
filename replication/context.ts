// What every part of a replication worker is given: its dependencies and settings, its
// queue, the clients of this Berth and of the remote registries, and its own state (the
// tasks it runs, whether it is stopping). ReplicationWorker (worker.ts) is the one holder.
import type PgBoss from 'pg-boss';
import type { SigningKey } from '../server/auth/tokens.js';
import type { Database } from '../server/db/database.js';
import type { Logger } from '../server/log/logger.js';
import type { SecretBox } from '../server/replication/secretBox.js';
import type { AllowedNetworks } from '../server/replication/targets.js';
import type { RegistryClient, RetryPolicy } from './transfer/client.js';

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

/** This Berth's /v2 and a remote registry by its id (transfer/clients.ts). */
export interface Clients {
  local(signal?: AbortSignal): RegistryClient;
  remote(registryId: number, signal?: AbortSignal): Promise<RegistryClient>;
}

export interface WorkerContext {
  readonly id: string;
  readonly deps: WorkerDeps;
  readonly settings: WorkerSettings;
  /** The job queue; there once the worker has started. */
  readonly boss: PgBoss;
  readonly clients: Clients;
  /** Tasks this worker is copying, each with the controller that aborts it. */
  readonly running: Map<number, AbortController>;
  readonly stopping: boolean;
  /** Tells this worker's queue consumers that new jobs are there. */
  wake(): void;
}
