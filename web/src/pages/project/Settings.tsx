// A project's settings: public or private (its administrators), the storage quota
// (system administrators), and the storage it uses.
import type { ProjectView } from '@berth/api-types';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { projectKeys, updateProject, updateQuota } from '../../api/projects';
import { ErrorNote, QuotaBar, useErrorSlot } from '../../components/ui';
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
    </div>
  );
}
