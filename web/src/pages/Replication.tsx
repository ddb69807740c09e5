// Replication: the registries it talks to (forms built from each adapter's own fields),
// the rules, and their executions with live progress.
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, NavLink, useNavigate, useParams } from 'react-router';
import { getJson, getPage, post, put } from '../api/client';
import type { AdapterInfo, Execution, Policy, PolicyFilter, RegistryEndpoint } from '../api/types';
import { Empty, ErrorNote, Loading, Modal, QueryView, DeleteDialog, PagedTable, useErrorSlot } from '../components/ui';
import { when } from '../format';

const pageSize = 15;
// The side of a rule that is this Berth, as the API writes it (Harbor's "Local").
const localRegistryId = 0;

export function Replication() {
  const { tab = 'rules' } = useParams();
  return (
    <section>
      <div className="heading">
        <h1>Replication</h1>
      </div>
      <nav className="tabs" aria-label="Replication sections">
        <NavLink to="/replication/rules">Rules</NavLink>
        <NavLink to="/replication/executions">Executions</NavLink>
        <NavLink to="/replication/registries">Registries</NavLink>
      </nav>
      {tab === 'registries' ? <Registries /> : tab === 'executions' ? <Executions /> : <Rules />}
    </section>
  );
}

function statusBadge(status: string) {
  const good = status === 'healthy' || status === 'Succeed';
  const bad = status === 'unhealthy' || status === 'Failed';
  return <span className={good ? 'badge public' : bad ? 'badge bad' : 'badge'}>{status}</span>;
}

function Registries() {
  const [page, setPage] = useState(1);
  const client = useQueryClient();
  const query = useQuery({
    queryKey: ['registries', page],
    queryFn: () => getPage<RegistryEndpoint>(`/registries?page=${page}&page_size=${pageSize}`),
    placeholderData: keepPreviousData,
  });
  const [editing, setEditing] = useState<RegistryEndpoint | 'new'>();
  const [deleting, setDeleting] = useState<RegistryEndpoint>();
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const refresh = () => client.invalidateQueries({ queryKey: ['registries'] });
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
                          await post('/registries/ping', { id: r.id });
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
          path={`/registries/${deleting.id}`}
          onClose={() => setDeleting(undefined)}
          onDeleted={() => refresh()}
        />
      )}
    </>
  );
}

function RegistryForm({ stored, onClose, onSaved }: { stored?: RegistryEndpoint; onClose: () => void; onSaved: () => void }) {
  const infos = useQuery({ queryKey: ['adapterinfos'], queryFn: () => getJson<Record<string, AdapterInfo>>('/replication/adapterinfos') });
  const [type, setType] = useState(stored?.type ?? 'berth');
  const [name, setName] = useState(stored?.name ?? '');
  const [values, setValues] = useState<Record<string, string | boolean>>({
    url: stored?.url ?? '',
    access_key: stored?.credential.access_key ?? '',
    access_secret: stored?.credential.access_secret ?? '',
    insecure: stored?.insecure ?? false,
  });
  const [error, setError] = useState<unknown>();
  const [tested, setTested] = useState<string>();
  const info = infos.data?.[type];
  const body = () => ({
    name,
    type,
    url: values.url,
    insecure: values.insecure === true,
    credential: values.access_key ? { type: 'basic', access_key: values.access_key, access_secret: values.access_secret } : undefined,
  });
  const badUrl = typeof values.url === 'string' && values.url !== '' && !/^https?:\/\/[^\s/]+/.test(values.url);
  return (
    <Modal title={stored ? `Edit ${stored.name}` : 'New registry'} onClose={onClose}>
      {infos.isPending ? (
        <Loading what="registry types" />
      ) : infos.isError ? (
        <ErrorNote error={infos.error} />
      ) : (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            setError(undefined);
            try {
              if (stored) await put(`/registries/${stored.id}`, body());
              else await post('/registries', body());
              onSaved();
            } catch (err) {
              setError(err);
            }
          }}
        >
          <label>
            Type
            <select value={type} onChange={(e) => setType(e.target.value)} disabled={!!stored}>
              {Object.values(infos.data).map((a) => (
                <option key={a.type} value={a.type}>
                  {a.type}
                </option>
              ))}
            </select>
          </label>
          {info && <p className="hint">{info.description}</p>}
          <label>
            Name
            <input required value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          {info?.fields.map((f) =>
            f.type === 'boolean' ? (
              <label key={f.key} className="check">
                <input type="checkbox" checked={values[f.key] === true} onChange={(e) => setValues({ ...values, [f.key]: e.target.checked })} />
                {f.label}
              </label>
            ) : (
              <label key={f.key}>
                {f.label}
                <input
                  type={f.type === 'password' ? 'password' : f.type === 'url' ? 'url' : 'text'}
                  required={f.required && !(f.key === 'access_secret' && stored)}
                  placeholder={f.placeholder}
                  value={String(values[f.key] ?? '')}
                  aria-invalid={f.key === 'url' && badUrl}
                  onChange={(e) => setValues({ ...values, [f.key]: e.target.value })}
                />
                {f.help && <span className="hint">{f.help}</span>}
              </label>
            ),
          )}
          {tested && (
            <p className="ok" role="status">
              {tested}
            </p>
          )}
          {error !== undefined && <ErrorNote error={error} />}
          <div className="actions">
            <button
              type="button"
              disabled={!values.url || badUrl}
              onClick={async () => {
                setError(undefined);
                setTested(undefined);
                try {
                  await post('/registries/ping', { ...body(), ...(stored ? { id: stored.id } : {}) });
                  setTested('The registry answers and accepts the credentials.');
                } catch (err) {
                  setError(err);
                }
              }}
            >
              Test connection
            </button>
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={!name || !values.url || badUrl}>
              Save
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}

function Rules() {
  const [page, setPage] = useState(1);
  const client = useQueryClient();
  const navigate = useNavigate();
  const query = useQuery({
    queryKey: ['policies', page],
    queryFn: () => getPage<Policy>(`/replication/policies?page=${page}&page_size=${pageSize}`),
    placeholderData: keepPreviousData,
  });
  const [editing, setEditing] = useState<Policy | 'new'>();
  const [deleting, setDeleting] = useState<Policy>();
  const { error, run } = useErrorSlot();
  const refresh = () => client.invalidateQueries({ queryKey: ['policies'] });
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
                        const res = await post('/replication/executions', { policy_id: p.id });
                        navigate(`/replication/executions/${res.headers.get('Location')!.split('/').pop()}`);
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
          path={`/replication/policies/${deleting.id}`}
          onClose={() => setDeleting(undefined)}
          onDeleted={() => refresh()}
        />
      )}
    </>
  );
}

function filterOf(p: Policy | undefined, type: PolicyFilter['type']): PolicyFilter | undefined {
  return p?.filters.find((f) => f.type === type);
}

function RuleForm({ stored, onClose, onSaved }: { stored?: Policy; onClose: () => void; onSaved: () => void }) {
  const registries = useQuery({ queryKey: ['registries', 'all'], queryFn: () => getPage<RegistryEndpoint>('/registries?page=1&page_size=100') });
  const [name, setName] = useState(stored?.name ?? '');
  const [direction, setDirection] = useState<'push' | 'pull'>(stored && stored.src_registry.id !== localRegistryId ? 'pull' : 'push');
  const [registry, setRegistry] = useState<number | ''>(stored ? stored.dest_registry.id || stored.src_registry.id : '');
  const [nameFilter, setNameFilter] = useState(filterOf(stored, 'name')?.value ?? '');
  const [tagFilter, setTagFilter] = useState(filterOf(stored, 'tag')?.value ?? '');
  const [tagExcludes, setTagExcludes] = useState(filterOf(stored, 'tag')?.decoration === 'excludes');
  const [resource, setResource] = useState(filterOf(stored, 'resource')?.value ?? '');
  const [trigger, setTrigger] = useState(stored?.trigger.type ?? 'manual');
  const [cron, setCron] = useState(stored?.trigger.trigger_settings.cron || '0 0 2 * * *');
  const [namespace, setNamespace] = useState(stored?.dest_namespace ?? '');
  const [flatten, setFlatten] = useState(stored?.dest_namespace_replace_count ?? -1);
  const [override, setOverride] = useState(stored?.override ?? true);
  const [deletion, setDeletion] = useState(stored?.replicate_deletion ?? false);
  const [enabled, setEnabled] = useState(stored?.enabled ?? true);
  const [speed, setSpeed] = useState(stored && stored.speed > 0 ? String(stored.speed) : '');
  const [error, setError] = useState<unknown>();
  const badCron = trigger === 'scheduled' && cron.trim().split(/\s+/).length !== 6;
  const badSpeed = speed !== '' && !(Number.isInteger(Number(speed)) && Number(speed) > 0);
  const eventPush = trigger === 'event_based' && direction === 'push';
  return (
    <Modal title={stored ? `Edit ${stored.name}` : 'New replication rule'} onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setError(undefined);
          const filters: PolicyFilter[] = [
            ...(nameFilter ? [{ type: 'name' as const, value: nameFilter }] : []),
            ...(tagFilter ? [{ type: 'tag' as const, value: tagFilter, decoration: tagExcludes ? ('excludes' as const) : ('matches' as const) }] : []),
            ...(resource ? [{ type: 'resource' as const, value: resource }] : []),
          ];
          const body = {
            name,
            src_registry: direction === 'pull' ? { id: registry } : null,
            dest_registry: direction === 'push' ? { id: registry } : null,
            filters,
            trigger: { type: trigger, trigger_settings: { cron: trigger === 'scheduled' ? cron.trim() : '' } },
            dest_namespace: namespace,
            dest_namespace_replace_count: flatten,
            override,
            replicate_deletion: eventPush && deletion,
            enabled,
            speed: speed === '' ? -1 : Number(speed),
          };
          try {
            if (stored) await put(`/replication/policies/${stored.id}`, body);
            else await post('/replication/policies', body);
            onSaved();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label>
          Name
          <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <fieldset className="radios">
          <legend>Direction</legend>
          <label className="check">
            <input type="radio" name="direction" checked={direction === 'push'} onChange={() => setDirection('push')} />
            Push: from this Berth to the registry
          </label>
          <label className="check">
            <input
              type="radio"
              name="direction"
              checked={direction === 'pull'}
              onChange={() => {
                setDirection('pull');
                if (trigger === 'event_based') setTrigger('manual');
              }}
            />
            Pull: from the registry into this Berth
          </label>
        </fieldset>
        <label>
          Registry
          <select required value={registry} onChange={(e) => setRegistry(e.target.value ? Number(e.target.value) : '')}>
            <option value="">Choose…</option>
            {registries.data?.items.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name} ({r.url})
              </option>
            ))}
          </select>
        </label>
        <label>
          Repositories (glob, e.g. <code>library/**</code>; empty: all)
          <input value={nameFilter} onChange={(e) => setNameFilter(e.target.value.trim())} />
        </label>
        <label>
          Tags (glob, e.g. <code>v*</code>; empty: all)
          <input value={tagFilter} onChange={(e) => setTagFilter(e.target.value.trim())} />
        </label>
        <label className="check">
          <input type="checkbox" checked={tagExcludes} onChange={(e) => setTagExcludes(e.target.checked)} disabled={!tagFilter} />
          Copy the tags that do <em>not</em> match
        </label>
        <label>
          Resources
          <select value={resource} onChange={(e) => setResource(e.target.value)}>
            <option value="">Everything</option>
            <option value="image">Images only</option>
            <option value="artifact">Any artifact</option>
          </select>
        </label>
        <label>
          Trigger
          <select value={trigger} onChange={(e) => setTrigger(e.target.value as Policy['trigger']['type'])}>
            <option value="manual">Manual</option>
            <option value="scheduled">Scheduled</option>
            <option value="event_based" disabled={direction === 'pull'}>
              On every push (push rules)
            </option>
          </select>
        </label>
        {trigger === 'scheduled' && (
          <label>
            Cron (six fields, seconds first)
            <input value={cron} onChange={(e) => setCron(e.target.value)} aria-invalid={badCron} />
          </label>
        )}
        {eventPush && (
          <label className="check">
            <input type="checkbox" checked={deletion} onChange={(e) => setDeletion(e.target.checked)} />
            Also delete on the registry what is deleted here
          </label>
        )}
        <label>
          Destination namespace (empty: the same path)
          <input value={namespace} onChange={(e) => setNamespace(e.target.value.trim())} />
        </label>
        <label>
          Flattening
          <select value={flatten} onChange={(e) => setFlatten(Number(e.target.value))} disabled={!namespace}>
            <option value={-1}>Flatten all levels (a/b/c → ns/c)</option>
            <option value={0}>No flattening (a/b/c → ns/a/b/c)</option>
            <option value={1}>Flatten 1 level (a/b/c → ns/b/c)</option>
            <option value={2}>Flatten 2 levels (a/b/c → ns/c)</option>
            <option value={3}>Flatten 3 levels</option>
          </select>
        </label>
        <label>
          Bandwidth limit, KB/s (empty: none)
          <input inputMode="numeric" value={speed} onChange={(e) => setSpeed(e.target.value.trim())} aria-invalid={badSpeed} />
        </label>
        <label className="check">
          <input type="checkbox" checked={override} onChange={(e) => setOverride(e.target.checked)} />
          Overwrite tags that name something else on the destination
        </label>
        <label className="check">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          Enabled
        </label>
        {error !== undefined && <ErrorNote error={error} />}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!name || registry === '' || badCron || badSpeed}>
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}

function progress(e: Execution): string {
  return `${e.succeed} of ${e.total} done${e.failed ? `, ${e.failed} failed` : ''}${e.stopped ? `, ${e.stopped} stopped` : ''}`;
}

function Executions() {
  const [page, setPage] = useState(1);
  const policies = useQuery({ queryKey: ['policies', 'all'], queryFn: () => getPage<Policy>('/replication/policies?page=1&page_size=100') });
  const query = useQuery({
    queryKey: ['executions', page],
    queryFn: () => getPage<Execution>(`/replication/executions?page=${page}&page_size=${pageSize}`),
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

export { statusBadge, progress };
