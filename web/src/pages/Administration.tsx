// Administration (system administrators): users, the health of each component with the
// system's settings, and storage used per project.
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { NavLink, useParams } from 'react-router';
import { getJson, getPage, post, put } from '../api/client';
import type { Project, User } from '../api/types';
import { Empty, ErrorNote, Loading, Modal, QueryView, DeleteDialog, PagedTable, useErrorSlot } from '../components/ui';
import { bytes, when } from '../format';
import { useSession } from '../session';
import { passwordRule, strongPassword } from '../password';

const pageSize = 15;

export function Administration() {
  const { tab = 'users' } = useParams();
  return (
    <section>
      <div className="heading">
        <h1>Administration</h1>
      </div>
      <nav className="tabs" aria-label="Administration sections">
        <NavLink to="/admin/users">Users</NavLink>
        <NavLink to="/admin/system">System</NavLink>
        <NavLink to="/admin/storage">Storage</NavLink>
      </nav>
      {tab === 'system' ? <System /> : tab === 'storage' ? <Storage /> : <Users />}
    </section>
  );
}

function Users() {
  const { user: me } = useSession();
  const [page, setPage] = useState(1);
  const [name, setName] = useState('');
  const client = useQueryClient();
  const query = useQuery({
    queryKey: ['users', page, name],
    queryFn: () => getPage<User>(`/users?${new URLSearchParams({ page: String(page), page_size: String(pageSize), ...(name ? { username: name } : {}) })}`),
    placeholderData: keepPreviousData,
  });
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<User>();
  const [deleting, setDeleting] = useState<User>();
  const { error, run } = useErrorSlot();
  const refresh = () => client.invalidateQueries({ queryKey: ['users'] });
  return (
    <>
      <div className="toolbar">
        <label>
          Search
          <input
            type="search"
            placeholder="User name"
            value={name}
            onChange={(e) => {
              setName(e.target.value.trim());
              setPage(1);
            }}
          />
        </label>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          New user
        </button>
      </div>
      {error !== undefined && <ErrorNote error={error} />}
      <QueryView query={query} what="users" isEmpty={(d) => d.items.length === 0} empty={'No user matches.'}>
        {(data) => (
          <PagedTable columns={['User', 'Email', 'Administrator', 'Created', '']} page={page} pageSize={pageSize} total={data.total} onPage={setPage}>
            {data.items.map((u) => {
              const locked = u.user_id === me?.user_id || u.user_id === 1;
              return (
                <tr key={u.user_id}>
                  <td>
                    {u.username}
                    {u.realname && u.realname !== u.username && <div className="muted small">{u.realname}</div>}
                  </td>
                  <td data-label="Email">{u.email}</td>
                  <td data-label="Administrator">
                    <label className="check">
                      <input
                        type="checkbox"
                        aria-label={`${u.username} is an administrator`}
                        checked={u.sysadmin_flag}
                        disabled={locked}
                        onChange={run(async (e) => {
                          await put(`/users/${u.user_id}/sysadmin`, { sysadmin_flag: e.target.checked });
                          await refresh();
                        })}
                      />
                    </label>
                  </td>
                  <td data-label="Created">{when(u.creation_time)}</td>
                  <td>
                    <span className="row-actions">
                      <button type="button" className="link" onClick={() => setResetting(u)}>
                        Reset password
                      </button>
                      {!locked && (
                        <button type="button" className="link danger" onClick={() => setDeleting(u)} aria-label={`Delete user ${u.username}`}>
                          Delete
                        </button>
                      )}
                    </span>
                  </td>
                </tr>
              );
            })}
          </PagedTable>
        )}
      </QueryView>
      {creating && (
        <NewUser
          onClose={() => setCreating(false)}
          onCreated={() => {
            setCreating(false);
            void refresh();
          }}
        />
      )}
      {resetting && <ResetPassword user={resetting} onClose={() => setResetting(undefined)} />}
      {deleting && (
        <DeleteDialog
          title="Delete user"
          action="Delete"
          body={
            <p>
              Delete <strong>{deleting.username}</strong>? Their sessions end and their project memberships go.
            </p>
          }
          path={`/users/${deleting.user_id}`}
          onClose={() => setDeleting(undefined)}
          onDeleted={() => refresh()}
        />
      )}
    </>
  );
}

function NewUser({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const [f, setF] = useState({ username: '', email: '', realname: '', password: '' });
  const [error, setError] = useState<unknown>();
  const badName = f.username !== '' && !/^[a-z0-9][a-z0-9._-]{0,254}$/i.test(f.username);
  const badEmail = f.email !== '' && !/^[^\s@]+@[^\s@]+$/.test(f.email);
  const weak = f.password !== '' && !strongPassword(f.password);
  return (
    <Modal title="New user" onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await post('/users', { ...f, realname: f.realname || f.username });
            onCreated();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label>
          User name
          <input required autoFocus value={f.username} onChange={(e) => setF({ ...f, username: e.target.value.trim() })} aria-invalid={badName} />
        </label>
        <label>
          Email
          <input type="email" required value={f.email} onChange={(e) => setF({ ...f, email: e.target.value.trim() })} aria-invalid={badEmail} />
        </label>
        <label>
          Full name
          <input value={f.realname} onChange={(e) => setF({ ...f, realname: e.target.value })} />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="new-password"
            required
            value={f.password}
            onChange={(e) => setF({ ...f, password: e.target.value })}
            aria-invalid={weak}
          />
        </label>
        <p className={weak ? 'hint bad' : 'hint'}>{passwordRule}</p>
        {error !== undefined && <ErrorNote error={error} />}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!f.username || !f.email || !f.password || badName || badEmail || weak}>
            Create
          </button>
        </div>
      </form>
    </Modal>
  );
}

function ResetPassword({ user, onClose }: { user: User; onClose: () => void }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  const weak = password !== '' && !strongPassword(password);
  return (
    <Modal title={`Reset the password of ${user.username}`} onClose={onClose}>
      {done ? (
        <>
          <p>The password was changed and {user.username}'s sessions were ended.</p>
          <div className="actions">
            <button type="button" className="primary" onClick={onClose}>
              Close
            </button>
          </div>
        </>
      ) : (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            try {
              await put(`/users/${user.user_id}/password`, { new_password: password });
              setDone(true);
            } catch (err) {
              setError(err);
            }
          }}
        >
          <label>
            New password
            <input
              type="password"
              autoComplete="new-password"
              required
              autoFocus
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={weak}
            />
          </label>
          <p className={weak ? 'hint bad' : 'hint'}>{passwordRule}</p>
          {error !== undefined && <ErrorNote error={error} />}
          <div className="actions">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={!password || weak}>
              Reset password
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}

interface Health {
  status: string;
  components: Array<{ name: string; status: string; error?: string }>;
}

function System() {
  // An unhealthy report comes with 503; it is still the report.
  const health = useQuery({
    queryKey: ['health'],
    queryFn: async () => (await fetch('/api/v2.0/health', { credentials: 'same-origin' })).json() as Promise<Health>,
    refetchInterval: 10_000,
  });
  const info = useQuery({ queryKey: ['systeminfo'], queryFn: () => getJson<Record<string, unknown>>('/systeminfo') });
  const audit = useQuery({ queryKey: ['audit-status'], queryFn: () => getJson<Record<string, unknown>>('/audit-logs/status') });
  return (
    <>
      <h2>Health</h2>
      {health.isPending ? (
        <Loading what="health" />
      ) : health.isError ? (
        <ErrorNote error={health.error} onRetry={() => health.refetch()} />
      ) : (
        <table aria-label="Component health">
          <tbody>
            {health.data.components.map((c) => (
              <tr key={c.name}>
                <th scope="row">{c.name}</th>
                <td>
                  <span className={c.status === 'healthy' ? 'badge public' : 'badge bad'}>{c.status}</span>{' '}
                  {c.error && <span className="muted">{c.error}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2 className="spaced">Settings</h2>
      {info.isPending ? (
        <Loading what="settings" />
      ) : info.isError ? (
        <ErrorNote error={info.error} />
      ) : (
        <dl className="facts">
          {Object.entries({ ...info.data, ...(audit.data ? Object.fromEntries(Object.entries(audit.data).map(([k, v]) => [`audit ${k}`, v])) : {}) }).map(
            ([k, v]) => (
              <div key={k} className="fact">
                <dt>{k.replace(/_/g, ' ')}</dt>
                <dd>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
              </div>
            ),
          )}
        </dl>
      )}
      <p className="hint">Settings come from the environment or BERTH_CONFIG (docs/operations.md); they change with a restart.</p>
    </>
  );
}

function Storage() {
  const query = useQuery({ queryKey: ['projects', 'storage'], queryFn: () => getPage<Project>('/projects?page=1&page_size=100') });
  if (query.isPending) return <Loading what="storage" />;
  if (query.isError) return <ErrorNote error={query.error} onRetry={() => query.refetch()} />;
  const rows = [...query.data.items].sort((a, b) => b.storage_used - a.storage_used);
  const total = rows.reduce((n, p) => n + p.storage_used, 0);
  const max = Math.max(1, ...rows.map((p) => p.storage_used));
  if (!rows.length) return <Empty>No projects.</Empty>;
  return (
    <>
      <p>
        {bytes(total)} in {query.data.total} project{query.data.total === 1 ? '' : 's'}
        {query.data.total > rows.length ? ` (the ${rows.length} shown)` : ''}. A blob counts once per project that uses it.
      </p>
      <figure className="chart" aria-label="Storage used per project">
        {rows.map((p) => (
          <div key={p.project_id} className="chart-row">
            <span className="chart-label">{p.name}</span>
            <span className="chart-bar" role="img" aria-label={`${p.name}: ${bytes(p.storage_used)}`}>
              <span style={{ width: `${(p.storage_used / max) * 100}%` }} />
            </span>
            <span className="chart-value">
              {bytes(p.storage_used)}
              {p.storage_limit >= 0 && <span className="muted"> of {bytes(p.storage_limit)}</span>}
            </span>
          </div>
        ))}
      </figure>
    </>
  );
}
