// The audit log (all of it for administrators, one project's for its admins): filter by
// user, operation, resource and time, page on the server, export what the filter selects.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { auditExportUrl, auditKeys, auditQuery, listAuditLogs } from '../api/audit';
import { QueryView, PagedTable } from '../components/ui';
import { when } from '../format';

const pageSize = 25;
const operations = ['create', 'update', 'delete', 'pull', 'login', 'logout', 'purge'];

export function AuditLogPage({ project }: { project?: string }) {
  const [params, setParams] = useSearchParams();
  const read = (k: string) => params.get(k) ?? '';
  const filter = { user: read('user'), operation: read('operation'), resource: read('resource'), from: read('from'), to: read('to') };
  const [draft, setDraft] = useState(filter);
  const page = Number(params.get('page') ?? 1);
  const query = auditQuery(filter);
  const list = useQuery({
    queryKey: auditKeys.list(project, query, page),
    queryFn: () => listAuditLogs(project, query, { page, pageSize }),
    placeholderData: keepPreviousData,
  });
  const apply = (f: typeof filter, p = 1) => setParams(Object.fromEntries(Object.entries({ ...f, page: String(p) }).filter(([, v]) => v !== '')));
  const badRange = draft.from && draft.to && draft.from > draft.to;
  return (
    <section>
      {!project && (
        <div className="heading">
          <h1>Audit log</h1>
          <a className="button" href={auditExportUrl('csv', query)} download>
            Export CSV
          </a>
          <a className="button" href={auditExportUrl('jsonl', query)} download>
            Export JSON Lines
          </a>
        </div>
      )}
      <form
        className="toolbar"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          apply(draft);
        }}
      >
        <label>
          User
          <input value={draft.user} onChange={(e) => setDraft({ ...draft, user: e.target.value.trim() })} />
        </label>
        <label>
          Operation
          <select value={draft.operation} onChange={(e) => setDraft({ ...draft, operation: e.target.value })}>
            <option value="">Any</option>
            {operations.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <label>
          Resource
          <input value={draft.resource} onChange={(e) => setDraft({ ...draft, resource: e.target.value.trim() })} />
        </label>
        <label>
          From
          <input type="datetime-local" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </label>
        <label>
          To
          <input type="datetime-local" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} aria-invalid={!!badRange} />
        </label>
        <button type="submit" className="primary" disabled={!!badRange}>
          Filter
        </button>
        <button
          type="button"
          onClick={() => {
            const empty = { user: '', operation: '', resource: '', from: '', to: '' };
            setDraft(empty);
            apply(empty);
          }}
        >
          Clear
        </button>
      </form>
      <QueryView query={list} what="the audit log" isEmpty={(d) => d.items.length === 0} empty={query ? 'No entries match the filter.' : 'No entries yet.'}>
        {(data) => (
          <PagedTable
            columns={['Time', 'User', 'Operation', 'Resource', 'Outcome', 'Address']}
            className="audit"
            page={page}
            pageSize={pageSize}
            total={data.total}
            onPage={(p) => apply(filter, p)}
          >
            {data.items.map((r) => (
              <tr key={r.id}>
                <td>{when(r.op_time)}</td>
                <td data-label="User">
                  {r.username}
                  {r.actor_type !== 'user' && <span className="muted small"> ({r.actor_type})</span>}
                </td>
                <td data-label="Operation">
                  {r.operation} {r.resource_type}
                  {r.count > 1 && <span className="muted small"> ×{r.count}</span>}
                </td>
                <td data-label="Resource">
                  <code>{r.resource}</code>
                </td>
                <td data-label="Outcome">
                  {r.is_successful ? <span className="badge public">ok</span> : <span className="badge bad">{r.error_code ?? 'failed'}</span>}
                </td>
                <td data-label="Address">{r.client_address ?? '—'}</td>
              </tr>
            ))}
          </PagedTable>
        )}
      </QueryView>
    </section>
  );
}
