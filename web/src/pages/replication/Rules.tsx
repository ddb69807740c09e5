// The replication rules: what each copies, which way and when; run one now (then its
// execution opens), edit, delete.
import type { PolicyView } from '@berth/api-types';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { deletePolicy, listPolicies, policyKeys, startExecution } from '../../api/replication';
import { DeleteDialog, ErrorNote, PagedTable, QueryView, useErrorSlot } from '../../components/ui';
import { when } from '../../format';
import { localRegistryId, pageSize } from './common';
import { RuleForm } from './RuleForm';

export function Rules() {
  const [page, setPage] = useState(1);
  const client = useQueryClient();
  const navigate = useNavigate();
  const query = useQuery({
    queryKey: policyKeys.list(page),
    queryFn: () => listPolicies({ page, pageSize }),
    placeholderData: keepPreviousData,
  });
  const [editing, setEditing] = useState<PolicyView | 'new'>();
  const [deleting, setDeleting] = useState<PolicyView>();
  const { error, run } = useErrorSlot();
  const refresh = () => client.invalidateQueries({ queryKey: policyKeys.all });
  return (
    <>
      <div className="toolbar">
        <span className="muted">A rule copies the artifacts its filters select, by hand, on a schedule or on every push.</span>
        <button type="button" className="primary" onClick={() => setEditing('new')}>
          New rule
        </button>
      </div>
      {error !== undefined && <ErrorNote error={error} />}
      <QueryView query={query} what="rules" isEmpty={(d) => d.items.length === 0} empty={'No replication rules yet.'}>
        {(data) => (
          <PagedTable columns={['Name', 'Direction', 'Trigger', 'Filters', 'Status', '']} page={page} pageSize={pageSize} total={data.total} onPage={setPage}>
            {data.items.map((p) => (
              <tr key={p.id}>
                <td>{p.name}</td>
                <td data-label="Direction">
                  {p.dest_registry.id !== localRegistryId ? `Push to ${p.dest_registry.name}` : `Pull from ${p.src_registry.name}`}
                </td>
                <td data-label="Trigger">
                  {p.trigger.type === 'scheduled' ? (
                    <>
                      <code>{p.trigger.trigger_settings.cron}</code>
                      {p.next_run_time && <div className="muted">next {when(p.next_run_time)}</div>}
                    </>
                  ) : p.trigger.type === 'event_based' ? (
                    'On push'
                  ) : (
                    'Manual'
                  )}
                </td>
                <td data-label="Filters">
                  {p.filters.map((f) => `${f.type} ${f.decoration === 'excludes' ? '≠' : '='} ${f.value}`).join('; ') || 'everything'}
                </td>
                <td data-label="Status">
                  <span className={p.enabled ? 'badge public' : 'badge'}>{p.enabled ? 'Enabled' : 'Disabled'}</span>
                </td>
                <td>
                  <span className="row-actions">
                    <button
                      type="button"
                      className="link"
                      disabled={!p.enabled}
                      onClick={run(async () => {
                        const id = await startExecution(p.id);
                        navigate(`/replication/executions/${id}`);
                      })}
                    >
                      Replicate now
                    </button>
                    <button type="button" className="link" onClick={() => setEditing(p)}>
                      Edit
                    </button>
                    <button type="button" className="link danger" onClick={() => setDeleting(p)} aria-label={`Delete rule ${p.name}`}>
                      Delete
                    </button>
                  </span>
                </td>
              </tr>
            ))}
          </PagedTable>
        )}
      </QueryView>
      {editing && (
        <RuleForm
          stored={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(undefined)}
          onSaved={() => {
            setEditing(undefined);
            void refresh();
          }}
        />
      )}
      {deleting && (
        <DeleteDialog
          title="Delete rule"
          action="Delete"
          body={
            <p>
              Delete the rule <strong>{deleting.name}</strong> and its execution history?
            </p>
          }
          onDelete={() => deletePolicy(deleting.id)}
          onClose={() => setDeleting(undefined)}
          onDeleted={() => refresh()}
        />
      )}
    </>
  );
}
