// SQL of the replication workers' heartbeats (migration 0013).
import type { Queryer } from './database.js';

export interface WorkerBeat {
  id: string;
  local_url: string;
  reachable: boolean;
  problem: string | null;
}

export interface WorkerRow extends WorkerBeat {
  started_at: Date;
  seen_at: Date;
}

/** Records that the worker is alive now, with what it last found of this Berth's /v2; drops the rows of workers that died an hour ago. */
export async function saveWorkerBeat(q: Queryer, beat: WorkerBeat): Promise<void> {
  await q.query(`DELETE FROM replication_workers WHERE seen_at < now() - interval '1 hour'`);
  await q.query(
    `INSERT INTO replication_workers (id, local_url, reachable, problem) VALUES ($1, $2, $3, $4)
     ON CONFLICT ON CONSTRAINT pk_replication_workers DO UPDATE
       SET local_url = EXCLUDED.local_url, reachable = EXCLUDED.reachable, problem = EXCLUDED.problem, seen_at = now()`,
    [beat.id, beat.local_url, beat.reachable, beat.problem],
  );
}

export async function removeWorker(q: Queryer, id: string): Promise<void> {
  await q.query('DELETE FROM replication_workers WHERE id = $1', [id]);
}

/** Workers seen within `seconds`. */
export async function listLiveWorkers(q: Queryer, seconds: number): Promise<WorkerRow[]> {
  const { rows } = await q.query<WorkerRow>(
    `SELECT id, local_url, reachable, problem, started_at, seen_at FROM replication_workers
      WHERE seen_at > now() - make_interval(secs => $1) ORDER BY id`,
    [seconds],
  );
  return rows;
}
