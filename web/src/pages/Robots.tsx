// A project's robot accounts: create with a permission picker and an expiry, the secret
// shown once (copy or download), disable and enable, refresh the secret, delete.
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ProjectView, RobotView } from '@berth/api-types';
import { createRobot, deleteRobot, listProjectRobots, refreshRobotSecret, robotKeys, updateRobot } from '../api/robots';
import { CopyButton, ErrorNote, Modal, QueryView, DeleteDialog, PagedTable, useErrorSlot } from '../components/ui';
import { when } from '../format';

const pageSize = 15;

/** What a project robot may be given, grouped as Harbor's console shows it. */
const choices: Array<{ resource: string; action: string; label: string }> = [
  { resource: 'repository', action: 'pull', label: 'Pull' },
  { resource: 'repository', action: 'push', label: 'Push' },
  { resource: 'repository', action: 'delete', label: 'Delete repository' },
  { resource: 'artifact', action: 'list', label: 'List artifacts' },
  { resource: 'artifact', action: 'read', label: 'Read artifact' },
  { resource: 'artifact', action: 'delete', label: 'Delete artifact' },
  { resource: 'tag', action: 'list', label: 'List tags' },
  { resource: 'tag', action: 'create', label: 'Create tag' },
  { resource: 'tag', action: 'delete', label: 'Delete tag' },
];

export function Robots({ project }: { project: ProjectView }) {
  const [page, setPage] = useState(1);
  const client = useQueryClient();
  const query = useQuery({
    queryKey: robotKeys.list(project.project_id, page),
    queryFn: () => listProjectRobots(project.project_id, { page, pageSize }),
    placeholderData: keepPreviousData,
  });
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ name: string; secret: string }>();
  const [deleting, setDeleting] = useState<RobotView>();
  const { error, run } = useErrorSlot();
  const refresh = () => client.invalidateQueries({ queryKey: robotKeys.project(project.project_id) });
  const admin = project.current_user_role_id === 1 || project.current_user_role_id === 4;
  return (
    <>
      <div className="toolbar">
        <span className="muted">Robot accounts sign in to the registry with a secret, for CI and automation.</span>
        {admin && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New robot account
          </button>
        )}
      </div>
      {error !== undefined && <ErrorNote error={error} />}
      <QueryView query={query} what="robot accounts" isEmpty={(d) => d.items.length === 0} empty={'No robot accounts in this project.'}>
        {(data) => (
          <PagedTable columns={['Name', 'Permissions', 'Status', 'Expires', '']} page={page} pageSize={pageSize} total={data.total} onPage={setPage}>
            {data.items.map((r) => (
              <tr key={r.id}>
                <td>
                  <code>{r.name}</code>
                  {r.description && <div className="muted">{r.description}</div>}
                </td>
                <td data-label="Permissions">{r.permissions.flatMap((p) => p.access.map((a) => `${a.resource}:${a.action}`)).join(', ')}</td>
                <td data-label="Status">
                  <span className={r.disable ? 'badge' : 'badge public'}>{r.disable ? 'Disabled' : 'Enabled'}</span>
                </td>
                <td data-label="Expires">{r.expires_at === -1 ? 'Never' : when(new Date(r.expires_at * 1000).toISOString())}</td>
                <td>
                  {admin && (
                    <span className="row-actions">
                      <button
                        type="button"
                        className="link"
                        onClick={run(async () => {
                          await updateRobot(r.id, { disable: !r.disable });
                          await refresh();
                        })}
                      >
                        {r.disable ? 'Enable' : 'Disable'}
                      </button>
                      <button
                        type="button"
                        className="link"
                        onClick={run(async () => {
                          setSecret({ name: r.name, secret: await refreshRobotSecret(r.id) });
                        })}
                      >
                        Refresh secret
                      </button>
                      <button type="button" className="link danger" onClick={() => setDeleting(r)} aria-label={`Delete robot ${r.name}`}>
                        Delete
                      </button>
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </PagedTable>
        )}
      </QueryView>
      {creating && (
        <NewRobot
          project={project}
          onClose={() => setCreating(false)}
          onCreated={(s) => {
            setCreating(false);
            setSecret(s);
            void refresh();
          }}
        />
      )}
      {secret && <SecretOnce {...secret} onClose={() => setSecret(undefined)} />}
      {deleting && (
        <DeleteDialog
          title="Delete robot account"
          action="Delete"
          body={
            <p>
              Delete <code>{deleting.name}</code>? Anything using its secret loses access at once.
            </p>
          }
          onDelete={() => deleteRobot(deleting.id)}
          onClose={() => setDeleting(undefined)}
          onDeleted={() => refresh()}
        />
      )}
    </>
  );
}

function NewRobot({ project, onClose, onCreated }: { project: ProjectView; onClose: () => void; onCreated: (s: { name: string; secret: string }) => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [days, setDays] = useState('30');
  const [picked, setPicked] = useState(new Set(['repository:pull', 'repository:push', 'artifact:read', 'tag:list']));
  const [error, setError] = useState<unknown>();
  const badName = name !== '' && !/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(name);
  const never = days === '';
  const badDays = !never && !(Number.isInteger(Number(days)) && Number(days) >= 1 && Number(days) <= 36500);
  return (
    <Modal title="New robot account" onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            const body = await createRobot({
              name,
              description,
              level: 'project',
              duration: never ? -1 : Number(days),
              permissions: [
                { kind: 'project', namespace: project.name, access: [...picked].map((k) => ({ resource: k.split(':')[0], action: k.split(':')[1] })) },
              ],
            });
            onCreated({ name: body.name, secret: body.secret });
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label>
          Name
          <input required autoFocus value={name} onChange={(e) => setName(e.target.value.trim())} aria-invalid={badName} />
        </label>
        <p className={badName ? 'hint bad' : 'hint'}>
          The account is called{' '}
          <code>
            robot${project.name}+{name || 'name'}
          </code>
          .
        </p>
        <label>
          Description
          <input value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <label>
          Expires after, days (empty: never)
          <input inputMode="numeric" value={days} onChange={(e) => setDays(e.target.value.trim())} aria-invalid={badDays} />
        </label>
        <fieldset className="grants">
          <legend>Permissions in {project.name}</legend>
          {choices.map((c) => {
            const k = `${c.resource}:${c.action}`;
            return (
              <label key={k} className="check">
                <input
                  type="checkbox"
                  checked={picked.has(k)}
                  onChange={(e) => {
                    const next = new Set(picked);
                    if (e.target.checked) next.add(k);
                    else next.delete(k);
                    setPicked(next);
                  }}
                />
                {c.label}
              </label>
            );
          })}
        </fieldset>
        {error !== undefined && <ErrorNote error={error} />}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!name || badName || badDays || picked.size === 0}>
            Create
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** The secret exists only now: Berth keeps only its hash. */
function SecretOnce({ name, secret, onClose }: { name: string; secret: string; onClose: () => void }) {
  const download = () => {
    const url = URL.createObjectURL(new Blob([JSON.stringify({ name, secret }, null, 2)], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${name.replace(/[^\w.+-]/g, '_')}.json`;
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <Modal title="Robot secret" onClose={onClose}>
      <p>
        Copy the secret of <code>{name}</code> now: it is not shown again.
      </p>
      <p className="secret">
        <output aria-label="Secret">
          <code>{secret}</code>
        </output>
      </p>
      <div className="actions">
        <CopyButton text={secret} label="Copy secret" />
        <button type="button" onClick={download}>
          Download
        </button>
        <button type="button" className="primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Modal>
  );
}
