// Projects: search, sort and page on the server; public/private, repositories, quota use;
// create and delete (an empty project only, after asking).
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { ProjectView } from '@berth/api-types';
import { createProject, deleteProject, listProjects, projectKeys, roles } from '../api/projects';
import { Confirm, ErrorNote, Modal, QuotaBar, QueryView, PagedTable } from '../components/ui';
import { when } from '../format';
import { useSession } from '../session';

const pageSize = 15;
const nameRe = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export function Projects() {
  const { user } = useSession();
  const [params, setParams] = useSearchParams();
  const page = Number(params.get('page') ?? 1);
  const name = params.get('name') ?? '';
  const sort = params.get('sort') ?? 'name';
  const set = (changes: Record<string, string>) => setParams((p) => ({ ...Object.fromEntries(p), ...changes }), { replace: true });
  const query = useQuery({
    queryKey: projectKeys.list({ page, name, sort }),
    queryFn: () => listProjects({ name, page, pageSize, sort }),
    placeholderData: keepPreviousData,
  });
  const client = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<ProjectView>();
  return (
    <section>
      <div className="heading">
        <h1>Projects</h1>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          New project
        </button>
      </div>
      <div className="toolbar">
        <label>
          Search
          <input type="search" placeholder="Project name" defaultValue={name} onChange={(e) => set({ name: e.target.value, page: '1' })} />
        </label>
        <label>
          Sort by
          <select value={sort} onChange={(e) => set({ sort: e.target.value, page: '1' })}>
            <option value="name">Name</option>
            <option value="-creation_time">Newest first</option>
            <option value="creation_time">Oldest first</option>
          </select>
        </label>
      </div>
      <QueryView
        query={query}
        what="projects"
        isEmpty={(d) => d.items.length === 0}
        empty={name ? `No project matches “${name}”.` : 'No projects yet. Create one to push images into it.'}
      >
        {(data) => (
          <PagedTable
            columns={['Name', 'Access', 'Your role', 'Repositories', 'Storage', 'Created', '']}
            page={page}
            pageSize={pageSize}
            total={data.total}
            onPage={(p) => set({ page: String(p) })}
          >
            {data.items.map((p) => (
              <tr key={p.project_id}>
                <td>
                  <Link to={`/projects/${p.name}`}>{p.name}</Link>
                </td>
                <td data-label="Access">
                  <span className={p.public ? 'badge public' : 'badge'}>{p.public ? 'Public' : 'Private'}</span>
                </td>
                <td data-label="Your role">{p.current_user_role_id ? roles[p.current_user_role_id] : user?.sysadmin_flag ? 'Administrator' : '—'}</td>
                <td data-label="Repositories">{p.repo_count ?? '—'}</td>
                <td data-label="Storage">
                  <QuotaBar used={p.storage_used} limit={p.storage_limit} />
                </td>
                <td data-label="Created">{when(p.creation_time)}</td>
                <td>
                  {(user?.sysadmin_flag || p.current_user_role_id === 1) && (
                    <button type="button" className="link danger" onClick={() => setDeleting(p)} aria-label={`Delete project ${p.name}`}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </PagedTable>
        )}
      </QueryView>
      {creating && (
        <NewProject
          admin={!!user?.sysadmin_flag}
          onClose={() => setCreating(false)}
          onCreated={() => {
            setCreating(false);
            void client.invalidateQueries({ queryKey: projectKeys.all });
          }}
        />
      )}
      {deleting && (
        <Confirm
          title="Delete project"
          action="Delete"
          body={
            <p>
              Delete the project <strong>{deleting.name}</strong>? Only an empty project can be deleted.
            </p>
          }
          onCancel={() => setDeleting(undefined)}
          onDone={async () => {
            await deleteProject(deleting.name);
            setDeleting(undefined);
            void client.invalidateQueries({ queryKey: projectKeys.all });
          }}
        />
      )}
    </section>
  );
}

function NewProject({ admin, onClose, onCreated }: { admin: boolean; onClose: () => void; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [isPublic, setPublic] = useState(false);
  const [quota, setQuota] = useState('');
  const [error, setError] = useState<unknown>();
  const badName = name !== '' && (!nameRe.test(name) || name.length > 255);
  const quotaGiB = quota === '' ? -1 : Number(quota);
  const badQuota = quota !== '' && !(Number.isFinite(quotaGiB) && quotaGiB > 0);
  return (
    <Modal title="New project" onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await createProject({
              project_name: name,
              metadata: { public: String(isPublic) },
              ...(admin && quota !== '' ? { storage_limit: Math.round(quotaGiB * 1024 ** 3) } : {}),
            });
            onCreated();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label>
          Name
          <input required autoFocus value={name} onChange={(e) => setName(e.target.value.trim())} aria-invalid={badName} aria-describedby="name-hint" />
        </label>
        <p id="name-hint" className={badName ? 'hint bad' : 'hint'}>
          Lower-case letters and digits, separated by single “.”, “_” or “-”.
        </p>
        <label className="check">
          <input type="checkbox" checked={isPublic} onChange={(e) => setPublic(e.target.checked)} />
          Public: anyone may pull without signing in
        </label>
        {admin && (
          <label>
            Storage quota, GiB (empty: unlimited)
            <input inputMode="decimal" value={quota} onChange={(e) => setQuota(e.target.value)} aria-invalid={badQuota} />
          </label>
        )}
        {error !== undefined && <ErrorNote error={error} />}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!name || badName || badQuota}>
            Create
          </button>
        </div>
      </form>
    </Modal>
  );
}
