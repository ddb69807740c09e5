// A project's settings: public or private (its administrators), the storage quota
// (system administrators), the storage it uses; vulnerability scanning (scan on push, the
// pull gate and its severity, the CVE allowlist: the system's or the project's own) and
// which scanner scans the project (its administrators choose).
import type { ProjectView } from '@berth/api-types';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { projectKeys, updateProject, updateQuota } from '../../api/projects';
import { gateSeverities, getProjectScanner, getSystemAllowlist, listScannerCandidates, scanningKeys, setProjectScanner } from '../../api/scanning';
import { AllowlistFields, allowlistBody, badIdsOf, draftOf, expired } from '../../components/CveAllowlist';
import { ErrorNote, Loading, QuotaBar, useErrorSlot } from '../../components/ui';
import { useSession } from '../../session';

export function Settings({ project, canEdit }: { project: ProjectView; canEdit: boolean }) {
  const { user } = useSession();
  const client = useQueryClient();
  const { error, setError, run } = useErrorSlot();
  const [saved, setSaved] = useState<string>();
  const [quota, setQuota] = useState(project.storage_limit < 0 ? '' : String(+(project.storage_limit / 1024 ** 3).toFixed(3)));
  const badQuota = quota !== '' && !(Number.isFinite(Number(quota)) && Number(quota) >= 0);
  const reload = () => client.invalidateQueries({ queryKey: projectKeys.one(project.name) });
  return (
    <div className="settings">
      <label className="check">
        <input
          type="checkbox"
          checked={project.public}
          disabled={!canEdit}
          onChange={run(async (e) => {
            await updateProject(project.name, { metadata: { public: String(e.target.checked) } });
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
              await updateQuota(project.project_id, { hard: { storage: quota === '' ? -1 : Math.round(Number(quota) * 1024 ** 3) } });
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
      <VulnerabilitySettings project={project} canEdit={canEdit} />
      <ProjectScanner project={project} canEdit={canEdit} />
    </div>
  );
}

function VulnerabilitySettings({ project, canEdit }: { project: ProjectView; canEdit: boolean }) {
  const client = useQueryClient();
  const m = project.metadata;
  const [autoScan, setAutoScan] = useState(m.auto_scan === 'true');
  const [preventVul, setPreventVul] = useState(m.prevent_vul === 'true');
  const [severity, setSeverity] = useState(m.severity || 'low');
  const [reuseSystem, setReuseSystem] = useState(m.reuse_sys_cve_allowlist !== 'false');
  const [draft, setDraft] = useState(() => draftOf(project.cve_allowlist));
  const [saved, setSaved] = useState<string>();
  const { error, run } = useErrorSlot();
  const bad = !reuseSystem && badIdsOf(draft).length > 0;
  return (
    <form
      aria-label="Vulnerability settings"
      className="settings"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          setSaved(undefined);
          await updateProject(project.name, {
            metadata: {
              auto_scan: String(autoScan),
              prevent_vul: String(preventVul),
              severity,
              reuse_sys_cve_allowlist: String(reuseSystem),
            },
            // The project's own list is kept while the system's is in force, to switch back to.
            cve_allowlist: allowlistBody(draft, project.cve_allowlist),
          });
          await client.invalidateQueries({ queryKey: projectKeys.one(project.name) });
          setSaved('Vulnerability settings saved.');
        })();
      }}
    >
      <h2 className="spaced">Vulnerabilities</h2>
      <fieldset className="group" disabled={!canEdit}>
        <legend>Scanning and the pull gate</legend>
        <label className="check">
          <input type="checkbox" checked={autoScan} onChange={(e) => setAutoScan(e.target.checked)} />
          Scan images on push
        </label>
        <label className="check">
          <input type="checkbox" checked={preventVul} onChange={(e) => setPreventVul(e.target.checked)} />
          Prevent vulnerable images from running
        </label>
        <label>
          Refuse pulls of images with vulnerabilities at or above
          <select className="narrow" value={severity} disabled={!preventVul} onChange={(e) => setSeverity(e.target.value)}>
            {gateSeverities.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <p className="hint">An image not scanned successfully yet is refused too while the gate is on. Pushes are never refused.</p>
      </fieldset>
      <fieldset className="group" disabled={!canEdit}>
        <legend>CVE allowlist: vulnerabilities the gate does not count</legend>
        <label className="check">
          <input type="radio" name="allowlist" checked={reuseSystem} onChange={() => setReuseSystem(true)} />
          Use the system allowlist
        </label>
        <label className="check">
          <input type="radio" name="allowlist" checked={!reuseSystem} onChange={() => setReuseSystem(false)} />
          Use the project's own allowlist
        </label>
        {reuseSystem ? (
          <SystemAllowlistSummary />
        ) : (
          <>
            <AllowlistFields value={draft} onChange={setDraft} label="The project's CVE ids, one per line" />
            {expired(project.cve_allowlist) && <p className="hint bad">This list has expired: it exempts nothing.</p>}
          </>
        )}
      </fieldset>
      {canEdit && (
        <div className="actions">
          <button type="submit" className="primary" disabled={bad}>
            Save vulnerability settings
          </button>
        </div>
      )}
      {saved && (
        <p className="ok" role="status">
          {saved}
        </p>
      )}
      {error !== undefined && <ErrorNote error={error} />}
    </form>
  );
}

function SystemAllowlistSummary() {
  const query = useQuery({ queryKey: scanningKeys.systemAllowlist, queryFn: getSystemAllowlist });
  if (query.isPending) return <Loading what="the system allowlist" />;
  if (query.isError) return <ErrorNote error={query.error} onRetry={() => void query.refetch()} />;
  const a = query.data;
  return (
    <p className="muted">
      {a.items.length ? `The system allowlist: ${a.items.map((i) => i.cve_id).join(', ')}` : 'The system allowlist is empty'}
      {a.expires_at
        ? `; ${expired(a) ? 'expired' : 'expires'} ${new Date(a.expires_at * 1000).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' })}`
        : ''}
      . System administrators edit it under Administration, Scanners.
    </p>
  );
}

function ProjectScanner({ project, canEdit }: { project: ProjectView; canEdit: boolean }) {
  const client = useQueryClient();
  const current = useQuery({ queryKey: scanningKeys.project(project.name), queryFn: () => getProjectScanner(project.name) });
  // Only its administrators may list the choices.
  const candidates = useQuery({ queryKey: scanningKeys.candidates(project.name), queryFn: () => listScannerCandidates(project.name), enabled: canEdit });
  const [choice, setChoice] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const { error, run } = useErrorSlot();
  const selected = choice ?? current.data?.uuid ?? '';
  return (
    <section aria-label="Scanner">
      <h2 className="spaced">Scanner</h2>
      {current.isPending ? (
        <Loading what="the scanner" />
      ) : current.isError ? (
        <ErrorNote error={current.error} onRetry={() => void current.refetch()} />
      ) : current.data === null ? (
        <p className="muted">No scanner is registered: a system administrator adds one under Administration, Scanners.</p>
      ) : (
        <p>
          Scanned by <strong>{current.data.name}</strong> <code>{current.data.url}</code> {current.data.is_default && <span className="badge">Default</span>}{' '}
          {current.data.disabled && <span className="badge bad">Disabled</span>}
        </p>
      )}
      {canEdit && candidates.data && candidates.data.items.length > 1 && (
        <form
          aria-label="Choose the scanner"
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              setSaved(undefined);
              await setProjectScanner(project.name, selected);
              await client.invalidateQueries({ queryKey: scanningKeys.project(project.name) });
              setChoice(undefined);
              setSaved('Scanner saved.');
            })();
          }}
        >
          <label>
            Scanner
            <select value={selected} onChange={(e) => setChoice(e.target.value)}>
              {candidates.data.items.map((s) => (
                <option key={s.uuid} value={s.uuid} disabled={s.disabled}>
                  {s.name}
                  {s.is_default ? ' (default)' : ''}
                  {s.disabled ? ' (disabled)' : ''}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={!selected || selected === current.data?.uuid}>
            Use this scanner
          </button>
        </form>
      )}
      {candidates.isError && <ErrorNote error={candidates.error} />}
      {saved && (
        <p className="ok" role="status">
          {saved}
        </p>
      )}
      {error !== undefined && <ErrorNote error={error} />}
    </section>
  );
}
