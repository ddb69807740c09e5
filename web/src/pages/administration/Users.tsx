// The users: search, page, make or unmake administrators, reset a password, delete (not
// oneself, nor the first administrator, user 1).
import type { UserView } from '@berth/api-types';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { deleteUser, listUsers, setSysadmin, userKeys } from '../../api/users';
import { DeleteDialog, ErrorNote, PagedTable, QueryView, useErrorSlot } from '../../components/ui';
import { when } from '../../format';
import { useSession } from '../../session';
import { NewUser } from './NewUser';
import { ResetPassword } from './ResetPassword';

const pageSize = 15;

export function Users() {
  const { user: me } = useSession();
  const [page, setPage] = useState(1);
  const [name, setName] = useState('');
  const client = useQueryClient();
  const query = useQuery({
    queryKey: userKeys.list({ page, username: name }),
    queryFn: () => listUsers({ page, pageSize, username: name }),
    placeholderData: keepPreviousData,
  });
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<UserView>();
  const [deleting, setDeleting] = useState<UserView>();
  const { error, run } = useErrorSlot();
  const refresh = () => client.invalidateQueries({ queryKey: userKeys.all });
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
                          await setSysadmin(u.user_id, e.target.checked);
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
          onDelete={() => deleteUser(deleting.user_id)}
          onClose={() => setDeleting(undefined)}
          onDeleted={() => refresh()}
        />
      )}
    </>
  );
}
