// One project: its repositories, members and settings, each a tab with its own address.
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, NavLink, useParams, useSearchParams } from 'react-router';
import { getJson, getPage, listQuery, post, put, repoSegment } from '../api/client';
import { roles, type Member, type Project, type Repository } from '../api/types';
import { Empty, ErrorNote, Loading, QuotaBar, QueryView, DeleteDialog, PagedTable, useErrorSlot } from '../components/ui';
import { when } from '../format';
import { Robots } from './Robots';
import { useSession } from '../session';
import { AuditLogPage } from './AuditLog';

export function ProjectPage() {
  const { project = '', tab = 'repositories' } = useParams();
  const query = useQuery({ queryKey: ['project', project], queryFn: () => getJson<Project>(`/projects/${encodeURIComponent(project)}`) });
  if (query.isPending) return <Loading what="the project" />;
  if (query.isError) return <ErrorNote error={query.error} onRetry={() => query.refetch()} />;
  const p = query.data;
  const admin = p.current_user_role_id === 1;
  return (
    <section>
      <p className="crumbs">
        <Link to="/projects">Projects</Link> /
      </p>
      <div className="heading">
        <h1>{p.name}</h1>
        <span className={p.public ? 'badge public' : 'badge'}>{p.public ? 'Public' : 'Private'}</span>
        <QuotaBar used={p.storage_used} limit={p.storage_limit} />
      </div>
      <nav className="tabs" aria-label="Project sections">
        <NavLink to={`/projects/${p.name}/repositories`}>Repositories</NavLink>
        <NavLink to={`/projects/${p.name}/members`}>Members</NavLink>
        <NavLink to={`/projects/${p.name}/robots`}>Robot accounts</NavLink>
        {admin && <NavLink to={`/projects/${p.name}/logs`}>Logs</NavLink>}
        <NavLink to={`/projects/${p.name}/settings`}>Settings</NavLink>
      </nav>
      {tab === 'members' ? (
        <Members project={p} />
      ) : tab === 'robots' ? (
        <Robots project={p} />
      ) : tab === 'logs' ? (
        <AuditLogPage project={p.name} />
      ) : tab === 'settings' ? (
        <Settings project={p} canEdit={admin} />
      ) : (
        <Repositories project={p} />
      )}
    </section>
  );
}

const pageSize = 15;

function Repositories({ project }: { project: Project }) {
  const [params, setParams] = useSearchParams();
  const page = Number(params.get('page') ?? 1);
  const name = params.get('name') ?? '';
  const query = useQuery({
    queryKey: ['repositories', project.name, page, name],
    queryFn: () => getPage<Repository>(`/projects/${encodeURIComponent(project.name)}/repositories?${listQuery({ name, page, pageSize })}`),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <div className="toolbar">
        <label>
          Search
          <input
            type="search"
            placeholder="Repository name"
            defaultValue={name}
            onChange={(e) => setParams({ name: e.target.value, page: '1' }, { replace: true })}
          />
        </label>
        <span className="muted">
          Push with{' '}
          <code>
            docker push {location.host}/{project.name}/&lt;name&gt;:&lt;tag&gt;
          </code>
        </span>
      </div>
      <QueryView
        query={query}
        what="repositories"
        isEmpty={(d) => d.items.length === 0}
        empty={name ? `No repository matches “${name}”.` : 'Nothing pushed to this project yet.'}
      >
        {(data) => (
          <PagedTable
            columns={['Repository', 'Artifacts', 'Pulls', 'Last push']}
            page={page}
            pageSize={pageSize}
            total={data.total}
            onPage={(p) => setParams({ name, page: String(p) })}
          >
            {data.items.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to={`/projects/${project.name}/repositories/${repoSegment(r.name, project.name)}`}>{r.name}</Link>
                </td>
                <td data-label="Artifacts">{r.artifact_count}</td>
                <td data-label="Pulls">{r.pull_count}</td>
                <td data-label="Last push">{when(r.update_time)}</td>
              </tr>
            ))}
          </PagedTable>
        )}
      </QueryView>
    </>
  );
}

const membersPageSize = 25;

function Members({ project }: { project: Project }) {
  const client = useQueryClient();
  const [page, setPage] = useState(1);
  const key = ['members', project.name];
  const query = useQuery({
    queryKey: [...key, page],
    queryFn: () => getPage<Member>(`/projects/${encodeURIComponent(project.name)}/members?page=${page}&page_size=${membersPageSize}`),
    placeholderData: keepPreviousData,
  });
  const [username, setUsername] = useState('');
  const [role, setRole] = useState(2);
  const { error, setError, run } = useErrorSlot();
  const [removing, setRemoving] = useState<Member>();
  const admin = project.current_user_role_id === 1;
  const refresh = () => client.invalidateQueries({ queryKey: key });
  const base = `/projects/${encodeURIComponent(project.name)}/members`;
  if (query.isPending) return <Loading what="members" />;
  if (query.isError) return <ErrorNote error={query.error} onRetry={() => query.refetch()} />;
  return (
    <>
      {admin && (
        <form
          className="toolbar"
          aria-label="Add member"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(undefined);
            try {
              await post(base, { role_id: role, member_user: { username } });
              setUsername('');
              await refresh();
            } catch (err) {
              setError(err);
            }
          }}
        >
          <label>
            User name
            <input required value={username} onChange={(e) => setUsername(e.target.value.trim())} />
          </label>
          <label>
            Role
            <select value={role} onChange={(e) => setRole(Number(e.target.value))}>
              {Object.entries(roles).map(([id, label]) => (
                <option key={id} value={id}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="primary" disabled={!username}>
            Add member
          </button>
        </form>
      )}
      {error !== undefined && <ErrorNote error={error} />}
      {query.data.items.length === 0 ? (
        <Empty>No members.</Empty>
      ) : (
        <PagedTable columns={['User', 'Role', '']} page={page} pageSize={membersPageSize} total={query.data.total} onPage={setPage}>
          {query.data.items.map((m) => (
            <tr key={m.id}>
              <td>{m.entity_name}</td>
              <td>
                {admin ? (
                  <select
                    aria-label={`Role of ${m.entity_name}`}
                    value={m.role_id}
                    onChange={run(async (e) => {
                      await put(`${base}/${m.id}`, { role_id: Number(e.target.value) });
                      await refresh();
                    })}
                  >
                    {Object.entries(roles).map(([id, label]) => (
                      <option key={id} value={id}>
                        {label}
                      </option>
                    ))}
                  </select>
                ) : (
                  roles[m.role_id]
                )}
              </td>
              <td>
                {admin && (
                  <button type="button" className="link danger" onClick={() => setRemoving(m)} aria-label={`Remove ${m.entity_name}`}>
                    Remove
                  </button>
                )}
              </td>
            </tr>
          ))}
        </PagedTable>
      )}
      {removing && (
        <DeleteDialog
          title="Remove member"
          action="Remove"
          body={
            <p>
              Remove <strong>{removing.entity_name}</strong> from {project.name}?
            </p>
          }
          path={`${base}/${removing.id}`}
          onClose={() => setRemoving(undefined)}
          onDeleted={() => refresh()}
        />
      )}
    </>
  );
}

function Settings({ project, canEdit }: { project: Project; canEdit: boolean }) {
  const { user } = useSession();
  const client = useQueryClient();
  const { error, setError, run } = useErrorSlot();
  const [saved, setSaved] = useState<string>();
  const [quota, setQuota] = useState(project.storage_limit < 0 ? '' : String(+(project.storage_limit / 1024 ** 3).toFixed(3)));
  const badQuota = quota !== '' && !(Number.isFinite(Number(quota)) && Number(quota) >= 0);
  const reload = () => client.invalidateQueries({ queryKey: ['project', project.name] });
  return (
    <div className="settings">
      <label className="check">
        <input
          type="checkbox"
          checked={project.public}
          disabled={!canEdit}
          onChange={run(async (e) => {
            await put(`/projects/${encodeURIComponent(project.name)}`, { metadata: { public: String(e.target.checked) } });
            await reload();
          })}
        />
        Public: anyone may pull without signing in
      </label>
      {!canEdit && <p className="hint">Only the project's administrators change its settings.</p>}
      {user?.sysadmin_flag && (
        <form
          aria-label="Quota"
          className="inline-form"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(undefined);
            setSaved(undefined);
            try {
              await put(`/quotas/${project.project_id}`, { hard: { storage: quota === '' ? -1 : Math.round(Number(quota) * 1024 ** 3) } });
              await reload();
              setSaved('Quota saved.');
            } catch (err) {
              setError(err);
            }
          }}
        >
          <label>
            Storage quota, GiB (empty: unlimited)
            <input inputMode="decimal" value={quota} onChange={(e) => setQuota(e.target.value.trim())} aria-invalid={badQuota} />
          </label>
          <button type="submit" className="primary" disabled={badQuota}>
            Save quota
          </button>
        </form>
      )}
      <p>
        Storage used: <QuotaBar used={project.storage_used} limit={project.storage_limit} />
      </p>
      {saved && (
        <p className="ok" role="status">
          {saved}
        </p>
      )}
      {error !== undefined && <ErrorNote error={error} />}
    </div>
  );
}
