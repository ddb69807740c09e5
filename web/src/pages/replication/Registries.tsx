// The registries replication talks to: test a connection, add, edit and delete (one that
// no rule uses).
import type { RegistryView } from '@berth/api-types';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { deleteRegistry, listRegistries, pingRegistry, registryKeys } from '../../api/replication';
import { DeleteDialog, ErrorNote, PagedTable, QueryView } from '../../components/ui';
import { pageSize, statusBadge } from './common';
import { RegistryForm } from './RegistryForm';

export function Registries() {
  const [page, setPage] = useState(1);
  const client = useQueryClient();
  const query = useQuery({
    queryKey: registryKeys.list(page),
    queryFn: () => listRegistries({ page, pageSize }),
    placeholderData: keepPreviousData,
  });
  const [editing, setEditing] = useState<RegistryView | 'new'>();
  const [deleting, setDeleting] = useState<RegistryView>();
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const refresh = () => client.invalidateQueries({ queryKey: registryKeys.all });
  return (
    <>
      <div className="toolbar">
        <span className="muted">Other registries this Berth pushes to or pulls from.</span>
        <button type="button" className="primary" onClick={() => setEditing('new')}>
          New registry
        </button>
      </div>
      {message &&
        (message.ok ? (
          <p className="ok" role="status">
            {message.text}
          </p>
        ) : (
          <ErrorNote error={message.text} />
        ))}
      <QueryView query={query} what="registries" isEmpty={(d) => d.items.length === 0} empty={'No registries yet. Add one to replicate to or from it.'}>
        {(data) => (
          <PagedTable columns={['Name', 'Type', 'URL', 'Status', '']} page={page} pageSize={pageSize} total={data.total} onPage={setPage}>
            {data.items.map((r) => (
              <tr key={r.id}>
                <td>{r.name}</td>
                <td data-label="Type">{r.type}</td>
                <td data-label="URL">
                  <code>{r.url}</code>
                </td>
                <td data-label="Status">{statusBadge(r.status)}</td>
                <td>
                  <span className="row-actions">
                    <button
                      type="button"
                      className="link"
                      onClick={async () => {
                        setMessage(undefined);
                        try {
                          await pingRegistry({ id: r.id });
                          setMessage({ ok: true, text: `${r.name} answers and accepts the credentials.` });
                        } catch (err) {
                          setMessage({ ok: false, text: (err as Error).message });
                        }
                        await refresh();
                      }}
                    >
                      Test connection
                    </button>
                    <button type="button" className="link" onClick={() => setEditing(r)}>
                      Edit
                    </button>
                    <button type="button" className="link danger" onClick={() => setDeleting(r)} aria-label={`Delete registry ${r.name}`}>
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
        <RegistryForm
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
          title="Delete registry"
          action="Delete"
          body={
            <p>
              Delete <strong>{deleting.name}</strong>? A registry that rules use cannot be deleted.
            </p>
          }
          onDelete={() => deleteRegistry(deleting.id)}
          onClose={() => setDeleting(undefined)}
          onDeleted={() => refresh()}
        />
      )}
    </>
  );
}
