// What the replication pages share (the execution page too): the page size, the id of
// this Berth's side of a rule, and how a status and an execution's progress read.
import type { ExecutionView } from '@berth/api-types';

export const pageSize = 15;
// The side of a rule that is this Berth, as the API writes it (Harbor's "Local").
export const localRegistryId = 0;

export function statusBadge(status: string) {
  const good = status === 'healthy' || status === 'Succeed';
  const bad = status === 'unhealthy' || status === 'Failed';
  return <span className={good ? 'badge public' : bad ? 'badge bad' : 'badge'}>{status}</span>;
}

export function progress(e: ExecutionView): string {
  return `${e.succeed} of ${e.total} done${e.failed ? `, ${e.failed} failed` : ''}${e.stopped ? `, ${e.stopped} stopped` : ''}`;
}
