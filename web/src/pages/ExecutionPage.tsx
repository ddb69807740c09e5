// One execution: its status and progress, its tasks (live while it runs), each task's log,
// and stopping it.
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import type { ExecutionView, TaskView } from '@berth/api-types';
import { executionKeys, getExecution, getTaskLog, listTasks, stopExecution, taskKeys } from '../api/replication';
import { Confirm, ErrorNote, Loading, LogDialog, QueryView, PagedTable } from '../components/ui';
import { bytes, when } from '../format';
import { progress, statusBadge } from './replication/common';

const pageSize = 20;

export function ExecutionPage() {
  const { id = '' } = useParams();
  const client = useQueryClient();
  const [page, setPage] = useState(1);
  const [stopping, setStopping] = useState(false);
  const [log, setLog] = useState<TaskView>();
  const live = (e?: ExecutionView) => (e?.status === 'InProgress' ? 1500 : false);
  const execution = useQuery({
    queryKey: executionKeys.one(id),
    queryFn: () => getExecution(id),
    refetchInterval: (q) => live(q.state.data),
  });
  const tasks = useQuery({
    queryKey: taskKeys.list(id, page),
    queryFn: () => listTasks(id, { page, pageSize }),
    placeholderData: keepPreviousData,
    refetchInterval: () => live(execution.data) || (execution.data?.end_time && Date.now() - Date.parse(execution.data.end_time) < 3000 ? 1500 : false),
  });
  if (execution.isPending) return <Loading what="the execution" />;
  if (execution.isError) return <ErrorNote error={execution.error} onRetry={() => execution.refetch()} />;
  const e = execution.data;
  return (
    <section>
      <p className="crumbs">
        <Link to="/replication/executions">Replication</Link> /
      </p>
      <div className="heading">
        <h1>Execution #{e.id}</h1>
        {statusBadge(e.status)}
        {e.status === 'InProgress' && (
          <button type="button" className="danger" onClick={() => setStopping(true)}>
            Stop
          </button>
        )}
      </div>
      <dl className="facts">
        <dt>Trigger</dt>
        <dd>{e.trigger}</dd>
        <dt>Progress</dt>
        <dd role="status" aria-label="Progress">
          {progress(e)}
        </dd>
        <dt>Started</dt>
        <dd>{when(e.start_time)}</dd>
        <dt>Ended</dt>
        <dd>{when(e.end_time)}</dd>
        {e.status_text && (
          <>
            <dt>Why</dt>
            <dd>{e.status_text}</dd>
          </>
        )}
      </dl>
      {e.total > 0 && <progress className="overall" max={e.total} value={e.succeed + e.failed + e.stopped} aria-label="Tasks finished" />}
      <QueryView
        query={tasks}
        what="tasks"
        isEmpty={(d) => d.items.length === 0}
        empty={e.status === 'InProgress' ? 'Listing what to replicate…' : 'This execution had nothing to replicate.'}
      >
        {(data) => (
          <PagedTable
            columns={['Source', 'Destination', 'Operation', 'Status', 'Moved', 'Attempts', '']}
            page={page}
            pageSize={pageSize}
            total={data.total}
            onPage={setPage}
          >
            {data.items.map((t) => (
              <tr key={t.id}>
                <td>
                  <code>{t.src_resource}</code>
                </td>
                <td data-label="Destination">
                  <code>{t.dst_resource}</code>
                </td>
                <td data-label="Operation">{t.operation}</td>
                <td data-label="Status">
                  {statusBadge(t.status)}
                  {t.status_text && <div className="muted small">{t.status_text}</div>}
                </td>
                <td data-label="Moved">{bytes(t.bytes)}</td>
                <td data-label="Attempts">
                  {t.attempts} of {t.max_attempts}
                </td>
                <td>
                  <button type="button" className="link" onClick={() => setLog(t)}>
                    Log
                  </button>
                </td>
              </tr>
            ))}
          </PagedTable>
        )}
      </QueryView>
      {stopping && (
        <Confirm
          title="Stop execution"
          action="Stop"
          body={<p>Stop execution #{e.id}? Tasks being copied stop within seconds; what arrived stays.</p>}
          onCancel={() => setStopping(false)}
          onDone={async () => {
            await stopExecution(e.id);
            setStopping(false);
            await client.invalidateQueries({ queryKey: executionKeys.one(id) });
          }}
        />
      )}
      {log && <LogDialog title={`Log of ${log.src_resource}`} queryKey={taskKeys.log(log.id)} load={() => getTaskLog(log)} onClose={() => setLog(undefined)} />}
    </section>
  );
}
