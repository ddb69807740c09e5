// Every rule's executions, newest first, refreshed while any is running; each opens its
// own page (ExecutionPage) with the tasks.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { executionKeys, listExecutions, listPolicyNames, policyKeys } from '../../api/replication';
import { Empty, ErrorNote, Loading, PagedTable } from '../../components/ui';
import { when } from '../../format';
import { pageSize, progress, statusBadge } from './common';

export function Executions() {
  const [page, setPage] = useState(1);
  const policies = useQuery({ queryKey: policyKeys.names, queryFn: listPolicyNames });
  const query = useQuery({
    queryKey: executionKeys.list(page),
    queryFn: () => listExecutions({ page, pageSize }),
    placeholderData: keepPreviousData,
    // Live while anything runs.
    refetchInterval: (q) => (q.state.data?.items.some((e) => e.status === 'InProgress') ? 2000 : false),
  });
  const ruleName = (id: number) => policies.data?.items.find((p) => p.id === id)?.name ?? `rule ${id}`;
  if (query.isPending) return <Loading what="executions" />;
  if (query.isError) return <ErrorNote error={query.error} onRetry={() => query.refetch()} />;
  if (query.data.items.length === 0) return <Empty>No executions yet. Run a rule with “Replicate now”.</Empty>;
  return (
    <PagedTable
      columns={['Execution', 'Rule', 'Trigger', 'Status', 'Progress', 'Started']}
      page={page}
      pageSize={pageSize}
      total={query.data.total}
      onPage={setPage}
    >
      {query.data.items.map((e) => (
        <tr key={e.id}>
          <td>
            <Link to={`/replication/executions/${e.id}`}>#{e.id}</Link>
          </td>
          <td data-label="Rule">{ruleName(e.policy_id)}</td>
          <td data-label="Trigger">{e.trigger}</td>
          <td data-label="Status">{statusBadge(e.status)}</td>
          <td data-label="Progress">{progress(e)}</td>
          <td data-label="Started">{when(e.start_time)}</td>
        </tr>
      ))}
    </PagedTable>
  );
}
