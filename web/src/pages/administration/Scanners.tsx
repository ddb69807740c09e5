// Scanners (Harbor's "Interrogation Services", system administrators): the registered
// scanner adapters with each one's health as the adapter itself answers, adding one after
// a connection test, the default, enabling and deleting; scanning every image now or on a
// schedule, with the latest run's progress; and the system CVE allowlist.
import type { CveAllowlistView, ScannerRegistrationView } from '@berth/api-types';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import {
  authTypes,
  createScanner,
  deleteScanner,
  getScanAllMetrics,
  getScanAllSchedule,
  getScannerMetadata,
  getSystemAllowlist,
  listScanners,
  pingScanner,
  type ScanAllSchedule,
  type ScannerBody,
  scanAllNow,
  scanningKeys,
  setDefaultScanner,
  setScanAllSchedule,
  setSystemAllowlist,
  updateScanner,
} from '../../api/scanning';
import { AllowlistFields, allowlistBody, badIdsOf, draftOf, expired } from '../../components/CveAllowlist';
import { DeleteDialog, ErrorNote, Loading, Modal, PagedTable, QueryView, useErrorSlot } from '../../components/ui';
import { NextRun, ScheduleFields, useScheduleState } from '../../components/ScheduleFields';

const pageSize = 15;

export function Scanners() {
  return (
    <>
      <p className="muted">
        Interrogation services: the vulnerability scanners (Harbor scanner adapters, such as Trivy's) that scan images. Each project uses the default scanner
        unless it picks another.
      </p>
      <Registrations />
      <h2 className="spaced">Scan everything</h2>
      <ScanAll />
      <h2 className="spaced">System CVE allowlist</h2>
      <SystemAllowlist />
    </>
  );
}

function Registrations() {
  const client = useQueryClient();
  const [page, setPage] = useState(1);
  const query = useQuery({
    queryKey: scanningKeys.list(page),
    queryFn: () => listScanners({ page, pageSize }),
    placeholderData: keepPreviousData,
  });
  const [editing, setEditing] = useState<ScannerRegistrationView | 'new'>();
  const [deleting, setDeleting] = useState<ScannerRegistrationView>();
  const { error, run } = useErrorSlot();
  const refresh = () => client.invalidateQueries({ queryKey: scanningKeys.scanners });
  return (
    <section aria-label="Scanners">
      <div className="toolbar">
        <span className="muted">An adapter at a private or loopback address must be allowed by BERTH_REPLICATION_ALLOW.</span>
        <button type="button" className="primary" onClick={() => setEditing('new')}>
          New scanner
        </button>
      </div>
      {error !== undefined && <ErrorNote error={error} />}
      <QueryView query={query} what="scanners" isEmpty={(d) => d.items.length === 0} empty="No scanner yet. Add one to scan images.">
        {(data) => (
          <PagedTable columns={['Name', 'URL', 'Enabled', 'Health', '']} page={page} pageSize={pageSize} total={data.total} onPage={setPage}>
            {data.items.map((s) => (
              <tr key={s.uuid}>
                <td>
                  {s.name} {s.is_default && <span className="badge public">Default</span>}
                  {s.description && <div className="small muted">{s.description}</div>}
                </td>
                <td data-label="URL">
                  <code>{s.url}</code>
                </td>
                <td data-label="Enabled">{s.disabled ? <span className="badge bad">Disabled</span> : <span className="badge">Enabled</span>}</td>
                <td data-label="Health">
                  <ScannerHealth uuid={s.uuid} />
                </td>
                <td>
                  <span className="row-actions">
                    {!s.is_default && (
                      <button
                        type="button"
                        className="link"
                        aria-label={`Make ${s.name} the default scanner`}
                        onClick={run(async () => {
                          await setDefaultScanner(s.uuid);
                          await refresh();
                        })}
                      >
                        Set default
                      </button>
                    )}
                    <button
                      type="button"
                      className="link"
                      aria-label={`${s.disabled ? 'Enable' : 'Disable'} scanner ${s.name}`}
                      onClick={run(async () => {
                        await updateScanner(s.uuid, { disabled: !s.disabled });
                        await refresh();
                      })}
                    >
                      {s.disabled ? 'Enable' : 'Disable'}
                    </button>
                    <button type="button" className="link" aria-label={`Edit scanner ${s.name}`} onClick={() => setEditing(s)}>
                      Edit
                    </button>
                    <button type="button" className="link danger" aria-label={`Delete scanner ${s.name}`} onClick={() => setDeleting(s)}>
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
        <ScannerForm
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
          title="Delete scanner"
          action="Delete"
          body={
            <p>
              Delete <strong>{deleting.name}</strong>? Projects that chose it use the default scanner again, and the reports it made are deleted.
              {deleting.is_default && ' The default scanner can be deleted only when it is the last one.'}
            </p>
          }
          onDelete={() => deleteScanner(deleting.uuid)}
          onClose={() => setDeleting(undefined)}
          onDeleted={() => refresh()}
        />
      )}
    </section>
  );
}

/** What the adapter answers at its metadata endpoint: its name and version, or why it does not. */
function ScannerHealth({ uuid }: { uuid: string }) {
  const meta = useQuery({ queryKey: scanningKeys.metadata(uuid), queryFn: () => getScannerMetadata(uuid) });
  if (meta.isPending) return <span className="muted">Checking…</span>;
  if (meta.isError)
    return (
      <span>
        <span className="badge bad">Unhealthy</span> <span className="small muted">{meta.error.message}</span>
      </span>
    );
  const { name, version, vendor } = meta.data.scanner;
  return (
    <span>
      <span className="badge public">Healthy</span>{' '}
      <span className="small" title={vendor}>
        {name} {version}
      </span>
    </span>
  );
}

function ScannerForm({ stored, onClose, onSaved }: { stored?: ScannerRegistrationView; onClose: () => void; onSaved: () => void }) {
  const [name, setName] = useState(stored?.name ?? '');
  const [description, setDescription] = useState(stored?.description ?? '');
  const [url, setUrl] = useState(stored?.url ?? '');
  const [auth, setAuth] = useState(stored?.auth ?? '');
  const [credential, setCredential] = useState('');
  const [skipCertVerify, setSkipCertVerify] = useState(stored?.skip_cert_verify ?? false);
  const [useInternalAddr, setUseInternalAddr] = useState(stored?.use_internal_addr ?? false);
  const [tested, setTested] = useState<string>();
  const { error, setError, run } = useErrorSlot();
  const badUrl = url !== '' && !/^https?:\/\/[^\s/]+/.test(url);
  // A stored credential stays unless another is typed (the API shows it masked).
  const keepsCredential = !!stored && !!stored.access_credential && auth === stored.auth;
  const needsCredential = auth !== '' && !credential && !keepsCredential;
  const body = (): ScannerBody => ({
    name,
    description,
    url,
    auth,
    ...(auth && credential ? { access_credential: credential } : {}),
    skip_cert_verify: skipCertVerify,
    use_internal_addr: useInternalAddr,
  });
  const credentialHint: Record<string, string> = {
    Basic: 'Sent as Authorization: Basic <credential>: the base64 of user:password.',
    Bearer: 'Sent as Authorization: Bearer <credential>.',
    'X-ScannerAdapter-API-Key': 'Sent as the X-ScannerAdapter-API-Key header.',
  };
  return (
    <Modal title={stored ? `Edit ${stored.name}` : 'New scanner'} onClose={onClose}>
      <form
        onSubmit={run(async (e) => {
          e.preventDefault();
          if (stored) await updateScanner(stored.uuid, body());
          else await createScanner(body());
          onSaved();
        })}
      >
        <label>
          Name
          <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Description
          <input value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <label>
          Adapter URL
          <input
            type="url"
            required
            placeholder="http://trivy-adapter:8080"
            value={url}
            aria-invalid={badUrl}
            onChange={(e) => setUrl(e.target.value.trim())}
          />
        </label>
        <label>
          Authentication
          <select value={auth} onChange={(e) => setAuth(e.target.value)}>
            {authTypes.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        {auth !== '' && (
          <>
            <label>
              Credential
              <input
                type="password"
                autoComplete="new-password"
                placeholder={keepsCredential ? 'unchanged' : ''}
                value={credential}
                onChange={(e) => setCredential(e.target.value)}
              />
            </label>
            <p className="hint">{credentialHint[auth]}</p>
          </>
        )}
        <label className="check">
          <input type="checkbox" checked={skipCertVerify} onChange={(e) => setSkipCertVerify(e.target.checked)} />
          Skip certificate verification
        </label>
        <label className="check">
          <input type="checkbox" checked={useInternalAddr} onChange={(e) => setUseInternalAddr(e.target.checked)} />
          Use the internal address
        </label>
        <p className="hint">The adapter then pulls images from Berth at BERTH_REPLICATION_LOCAL_URL instead of the external URL.</p>
        {tested && (
          <p className="ok" role="status">
            {tested}
          </p>
        )}
        {error !== undefined && <ErrorNote error={error} />}
        <div className="actions">
          <button
            type="button"
            disabled={!url || badUrl || needsCredential}
            onClick={async () => {
              setError(undefined);
              setTested(undefined);
              try {
                const m = await pingScanner({ ...body(), name: name || 'ping' });
                setTested(`Connected: ${m.scanner.name} ${m.scanner.version}${m.scanner.vendor ? ` by ${m.scanner.vendor}` : ''}.`);
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
          <button type="submit" className="primary" disabled={!name || !url || badUrl || needsCredential}>
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}

function ScanAll() {
  const client = useQueryClient();
  // After "Scan now" the run's tasks are created within seconds: look again meanwhile.
  const [startedAt, setStartedAt] = useState(0);
  const metrics = useQuery({
    queryKey: scanningKeys.scanAllMetrics,
    queryFn: getScanAllMetrics,
    refetchInterval: (q) => (q.state.data?.ongoing || Date.now() - startedAt < 10_000 ? 1500 : false),
  });
  const [started, setStarted] = useState<string>();
  const { error, run } = useErrorSlot();
  const m = metrics.data;
  return (
    <>
      <form aria-label="Scan everything" className="inline-form" onSubmit={(e) => e.preventDefault()}>
        <button
          type="button"
          className="primary"
          disabled={m?.ongoing}
          onClick={run(async () => {
            setStarted(undefined);
            await scanAllNow();
            setStartedAt(Date.now());
            setStarted('Scan of every image queued.');
            await client.invalidateQueries({ queryKey: scanningKeys.scanAllMetrics });
          })}
        >
          Scan now
        </button>
        {started && (
          <p className="ok" role="status">
            {started}
          </p>
        )}
      </form>
      {error !== undefined && <ErrorNote error={error} />}
      {metrics.isPending ? (
        <Loading what="the latest run" />
      ) : metrics.isError ? (
        <ErrorNote error={metrics.error} onRetry={() => void metrics.refetch()} />
      ) : !m?.trigger ? (
        <p className="muted">No scan of every image has run yet.</p>
      ) : (
        <>
          <p>
            Latest run ({m.trigger === 'Manual' ? 'manual' : 'scheduled'}): {m.completed} of {m.total} done
            {m.ongoing ? `, ${m.metrics.Running} running, ${m.metrics.Pending} waiting` : ''}. {m.metrics.Success} succeeded
            {m.metrics.Error ? `, ${m.metrics.Error} failed` : ''}
            {m.metrics.Stopped ? `, ${m.metrics.Stopped} stopped` : ''}.
          </p>
          {m.total > 0 && <progress className="overall" max={m.total} value={m.completed} aria-label="Progress of the latest run" />}
        </>
      )}
      <ScanAllScheduleSection />
    </>
  );
}

function ScanAllScheduleSection() {
  const query = useQuery({ queryKey: scanningKeys.scanAllSchedule, queryFn: getScanAllSchedule });
  if (query.isPending) return <Loading what="the schedule" />;
  if (query.isError) return <ErrorNote error={query.error} onRetry={() => void query.refetch()} />;
  return <ScanAllScheduleForm stored={query.data} />;
}

function ScanAllScheduleForm({ stored }: { stored: ScanAllSchedule }) {
  const client = useQueryClient();
  const schedule = useScheduleState(stored.schedule);
  const [saved, setSaved] = useState<string>();
  const { error, run } = useErrorSlot();
  return (
    <form
      aria-label="Scan schedule"
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          setSaved(undefined);
          await setScanAllSchedule(schedule.value);
          await client.invalidateQueries({ queryKey: scanningKeys.scanAllSchedule });
          setSaved('Schedule saved.');
        })();
      }}
    >
      <ScheduleFields state={schedule} />
      <button type="submit">Save schedule</button>
      <NextRun at={stored.schedule.next_scheduled_time} />
      {saved && (
        <p className="ok" role="status">
          {saved}
        </p>
      )}
      {error !== undefined && <ErrorNote error={error} />}
    </form>
  );
}

function SystemAllowlist() {
  const query = useQuery({ queryKey: scanningKeys.systemAllowlist, queryFn: getSystemAllowlist });
  return (
    <QueryView query={query} what="the system CVE allowlist">
      {(stored) => <SystemAllowlistForm stored={stored} />}
    </QueryView>
  );
}

function SystemAllowlistForm({ stored }: { stored: CveAllowlistView }) {
  const client = useQueryClient();
  const [draft, setDraft] = useState(() => draftOf(stored));
  const [saved, setSaved] = useState<string>();
  const { error, run } = useErrorSlot();
  return (
    <form
      aria-label="System CVE allowlist"
      className="settings"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          setSaved(undefined);
          await setSystemAllowlist(allowlistBody(draft, stored));
          setSaved('Allowlist saved.');
          await client.invalidateQueries({ queryKey: scanningKeys.systemAllowlist });
        })();
      }}
    >
      <p className="muted">
        Vulnerabilities the pull gate does not count, in every project that uses the system allowlist (the default). A list past its expiry exempts nothing.
      </p>
      <AllowlistFields value={draft} onChange={setDraft} />
      {expired(stored) && <p className="hint bad">This list has expired: it exempts nothing.</p>}
      <div className="actions">
        <button type="submit" className="primary" disabled={badIdsOf(draft).length > 0}>
          Save allowlist
        </button>
      </div>
      {saved && (
        <p className="ok" role="status">
          {saved}
        </p>
      )}
      {error !== undefined && <ErrorNote error={error} />}
    </form>
  );
}
