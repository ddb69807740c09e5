// A project's members, users and directory groups, and their roles: its administrators
// add, change and remove them; the others see the list.
import type { MemberView, ProjectView } from '@berth/api-types';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { addMember, deleteMember, listMembers, memberKeys, roles, updateMember } from '../../api/projects';
import { DeleteDialog, Empty, ErrorNote, Loading, PagedTable, useErrorSlot } from '../../components/ui';

const membersPageSize = 25;

export function Members({ project }: { project: ProjectView }) {
  const client = useQueryClient();
  const [page, setPage] = useState(1);
  const key = memberKeys.project(project.name);
  const query = useQuery({
    queryKey: memberKeys.list(project.name, page),
    queryFn: () => listMembers(project.name, { page, pageSize: membersPageSize }),
    placeholderData: keepPreviousData,
  });
  const [username, setUsername] = useState('');
  const [kind, setKind] = useState<'user' | 'group' | 'oidc'>('user');
  const [role, setRole] = useState(2);
  const { error, setError, run } = useErrorSlot();
  const [removing, setRemoving] = useState<MemberView>();
  const admin = project.current_user_role_id === 1;
  const refresh = () => client.invalidateQueries({ queryKey: key });
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
              await addMember(
                project.name,
                kind === 'user'
                  ? { role_id: role, member_user: { username } }
                  : kind === 'group'
                    ? { role_id: role, member_group: { group_type: 1, ldap_group_dn: username } }
                    : { role_id: role, member_group: { group_type: 3, group_name: username } },
              );
              setUsername('');
              await refresh();
            } catch (err) {
              setError(err);
            }
          }}
        >
          <label>
            Member
            <select value={kind} onChange={(e) => setKind(e.target.value as 'user' | 'group' | 'oidc')}>
              <option value="user">User</option>
              <option value="group">LDAP group</option>
              <option value="oidc">OIDC group</option>
            </select>
          </label>
          <label>
            {kind === 'user' ? 'User name' : kind === 'group' ? 'Group DN' : 'Group name'}
            <input required value={username} onChange={(e) => setUsername(kind === 'user' ? e.target.value.trim() : e.target.value)} />
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
        <PagedTable columns={['Member', 'Type', 'Role', '']} page={page} pageSize={membersPageSize} total={query.data.total} onPage={setPage}>
          {query.data.items.map((m) => (
            <tr key={m.id}>
              <td>{m.entity_name}</td>
              <td>{m.entity_type === 'g' ? 'Group' : 'User'}</td>
              <td>
                {admin ? (
                  <select
                    aria-label={`Role of ${m.entity_name}`}
                    value={m.role_id}
                    onChange={run(async (e) => {
                      await updateMember(project.name, m.id, { role_id: Number(e.target.value) });
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
          onDelete={() => deleteMember(project.name, removing.id)}
          onClose={() => setRemoving(undefined)}
          onDeleted={() => refresh()}
        />
      )}
    </>
  );
}
