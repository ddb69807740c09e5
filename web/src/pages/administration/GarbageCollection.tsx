// Garbage collection: run it now (or as a dry run), its schedule, and the history of runs
// with what each deleted and its log. The list refreshes while a run is pending or running.
import type { GcHistoryView, GcScheduleView } from '@berth/api-types';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { type GcParameters, gcKeys, getGcLog, getGcSchedule, listGcRuns, setGcSchedule, startGc, stopGc } from '../../api/gc';
import { ErrorNote, Loading, LogDialog, PagedTable, QueryView, useErrorSlot } from '../../components/ui';
import { NextRun, ScheduleFields, useScheduleState } from '../../components/ScheduleFields';
import { bytes, when } from '../../format';

const pageSize = 10;

export function GarbageCollection() {
  const client = useQueryClient();
  const refresh = () => client.invalidateQueries({ queryKey: gcKeys.all });
  return (
    <>
      <p className="muted">
        Deletes blobs no repository uses, links no manifest uses and, if asked, untagged artifacts, once they have been unreferenced for the review delay.
        Pushes and pulls go on while it runs.
      </p>
      <RunNow onStarted={refresh} />
      <Schedule />
      <History />
    </>
  );
}

function ParameterFields({ value, onChange }: { value: GcParameters; onChange: (p: GcParameters) => void }) {
  return (
    <>
      <label className="check">
        <input type="checkbox" checked={value.delete_untagged} onChange={(e) => onChange({ ...value, delete_untagged: e.target.checked })} />
        Delete untagged artifacts
      </label>
      <label>
        Workers
        <select value={value.workers} onChange={(e) => onChange({ ...value, workers: Number(e.target.value) })}>
          {[1, 2, 3, 4, 5].map((n) => (
            <option key={n}>{n}</option>
          ))}
        </select>
      </label>
    </>
  );
}

function RunNow({ onStarted }: { onStarted: () => Promise<unknown> }) {
  const [params, setParams] = useState<GcParameters>({ delete_untagged: false, dry_run: false, workers: 1 });
  const [started, setStarted] = useState<string>();
  const { error, run } = useErrorSlot();
  const go = (dry: boolean) =>
    run(async () => {
      setStarted(undefined);
      await startGc({ ...params, dry_run: dry });
      setStarted(dry ? 'Dry run queued: the history shows what it would delete.' : 'Garbage collection queued.');
      await onStarted();
    });
  return (
    <form aria-label="Run garbage collection" className="inline-form" onSubmit={(e) => e.preventDefault()}>
      <ParameterFields value={params} onChange={setParams} />
      <button type="button" className="primary" onClick={go(false)}>
        GC now
      </button>
      <button type="button" onClick={go(true)}>
        Dry run
      </button>
      {started && (
        <p className="ok" role="status">
          {started}
        </p>
      )}
      {error !== undefined && <ErrorNote error={error} />}
    </form>
  );
}

function Schedule() {
  const query = useQuery({ queryKey: gcKeys.schedule, queryFn: getGcSchedule });
  if (query.isPending) return <Loading what="the schedule" />;
  if (query.isError) return <ErrorNote error={query.error} onRetry={() => void query.refetch()} />;
  return <ScheduleForm stored={query.data} />;
}

function ScheduleForm({ stored }: { stored: GcScheduleView }) {
  const client = useQueryClient();
  const schedule = useScheduleState(stored.schedule);
  const [params, setParams] = useState<GcParameters>(stored.parameters);
  const [saved, setSaved] = useState<string>();
  const { error, run } = useErrorSlot();
  return (
    <form
      aria-label="Schedule"
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          setSaved(undefined);
          await setGcSchedule(schedule.value, { ...params, dry_run: false });
          await client.invalidateQueries({ queryKey: gcKeys.schedule });
          setSaved('Schedule saved.');
        })();
      }}
    >
      <ScheduleFields state={schedule} />
      {schedule.type !== 'None' && <ParameterFields value={params} onChange={setParams} />}
      <button type="submit">Save schedule</button>
      <NextRun at={stored.schedule.next_scheduled_time} />
      {saved && (
        <p className="ok" role="status">
          {saved}
        </p>
      )}
      {error !== undefined && <ErrorNote error={error} />}
    </form>
  );
}

function History() {
  const client = useQueryClient();
  const [page, setPage] = useState(1);
  const [log, setLog] = useState<GcHistoryView>();
  const { error, run } = useErrorSlot();
  const query = useQuery({
    queryKey: gcKeys.history(page),
    queryFn: () => listGcRuns({ page, pageSize }),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((r) => r.job_status === 'Pending' || r.job_status === 'Running') ? 1000 : false),
  });
  return (
    <>
      <h2>History</h2>
      {error !== undefined && <ErrorNote error={error} />}
      <QueryView query={query} what="garbage collection runs" isEmpty={(d) => d.items.length === 0} empty="No garbage collection has run yet.">
        {(data) => (
          <PagedTable
            columns={['Run', 'Kind', 'Status', 'Deleted', 'Freed', 'Started', '']}
            page={page}
            pageSize={pageSize}
            total={data.total}
            onPage={setPage}
          >
            {data.items.map((r) => (
              <tr key={r.id}>
                <td>
                  #{r.id}
                  {r.dry_run && <span className="badge">dry run</span>}
                </td>
                <td data-label="Kind">{r.job_kind === 'MANUAL' ? 'Manual' : 'Scheduled'}</td>
                <td data-label="Status">
                  <span className={r.job_status === 'Success' ? 'badge public' : r.job_status === 'Error' ? 'badge bad' : 'badge'}>{r.job_status}</span>
                </td>
                <td data-label="Deleted">
                  {r.blobs_deleted} blobs, {r.links_deleted} links, {r.manifests_deleted} manifests
                </td>
                <td data-label="Freed">{bytes(r.freed_bytes)}</td>
                <td data-label="Started">{when(r.start_time)}</td>
                <td>
                  <span className="row-actions">
                    <button type="button" className="link" onClick={() => setLog(r)}>
                      Log
                    </button>
                    {(r.job_status === 'Pending' || r.job_status === 'Running') && (
                      <button
                        type="button"
                        className="link danger"
                        onClick={run(async () => {
                          await stopGc(r.id);
                          await client.invalidateQueries({ queryKey: gcKeys.all });
                        })}
                      >
                        Stop
                      </button>
                    )}
                  </span>
                </td>
              </tr>
            ))}
          </PagedTable>
        )}
      </QueryView>
      {log && (
        <LogDialog
          title={`Log of garbage collection #${log.id}`}
          queryKey={gcKeys.log(log.id)}
          load={() => getGcLog(log.id)}
          onClose={() => setLog(undefined)}
        />
      )}
    </>
  );
}
