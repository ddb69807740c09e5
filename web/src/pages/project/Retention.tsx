// A project's tag retention (its administrators, maintainers and developers): the rules
// that say what to keep, the schedule, runs now or dry, and each run's tasks with the table
// of what was kept and deleted. The project's first rule creates its policy.
import type { ProjectView, RetentionExecutionView, RetentionPolicyView, RetentionRuleView, RetentionTemplate } from '@berth/api-types';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { projectKeys } from '../../api/projects';
import {
  createRetention,
  getRetention,
  getRetentionTaskLog,
  listRetentionRuns,
  listRetentionTasks,
  retentionKeys,
  runRetention,
  saveRetention,
  stopRetentionRun,
  type RuleBody,
} from '../../api/retention';
import { type RepositorySelector, RepositorySelectorFields, type TagSelector, TagSelectorFields } from '../../components/selectors';
import { ErrorNote, LogDialog, PagedTable, QueryView, useErrorSlot } from '../../components/ui';
import { when } from '../../format';

const pageSize = 10;

const templates: Array<{ value: RetentionTemplate; text: string; unit?: string }> = [
  { value: 'latestPushedK', text: 'the most recently pushed', unit: 'artifacts' },
  { value: 'latestPulledN', text: 'the most recently pulled', unit: 'artifacts' },
  { value: 'nDaysSinceLastPush', text: 'pushed within the last', unit: 'days' },
  { value: 'nDaysSinceLastPull', text: 'pulled within the last', unit: 'days' },
  { value: 'always', text: 'always' },
];

function ruleText(r: RetentionRuleView): string {
  const t = templates.find((x) => x.value === r.template)!;
  const n = r.params[r.template];
  const s = r.tag_selectors[0];
  const untagged = (JSON.parse(s.extras || '{}') as { untagged?: boolean }).untagged ?? s.decoration === 'matches';
  return `retain ${t.text}${t.unit ? ` ${n} ${t.unit}` : ''} with tags ${s.decoration === 'matches' ? 'matching' : 'excluding'} ${s.pattern}${untagged ? ', untagged too' : ''}`;
}

const bodyOf = (r: RetentionRuleView): RuleBody => ({
  disabled: r.disabled,
  action: r.action,
  template: r.template,
  params: r.params,
  tag_selectors: r.tag_selectors,
  scope_selectors: r.scope_selectors,
});

export function Retention({ project }: { project: ProjectView }) {
  const id = project.metadata.retention_id ? Number(project.metadata.retention_id) : undefined;
  const query = useQuery({ queryKey: retentionKeys.policy(id ?? 0), queryFn: () => getRetention(id!), enabled: id !== undefined });
  return (
    <>
      <p className="muted">
        In each repository the rules select, an artifact any rule keeps stays with all its tags; the rest is deleted by digest. Index children stay with their
        index, immutable tags are never deleted, and repositories no rule selects are left alone. Garbage collection then frees the bytes.
      </p>
      {id === undefined ? (
        <Policy project={project} />
      ) : (
        <QueryView query={query} what="the retention policy">
          {(policy) => <Policy project={project} policy={policy} />}
        </QueryView>
      )}
    </>
  );
}

function Policy({ project, policy }: { project: ProjectView; policy?: RetentionPolicyView }) {
  const client = useQueryClient();
  const { error, run } = useErrorSlot();
  const rules = policy?.rules ?? [];
  const [cron, setCron] = useState(policy?.trigger.settings.cron ?? '');
  const [started, setStarted] = useState<string>();
  const start = (id: number, dryRun: boolean) =>
    run(async () => {
      await runRetention(id, dryRun);
      setStarted(dryRun ? 'Dry run queued: its tasks list what a run would delete.' : 'Retention run queued.');
      await client.invalidateQueries({ queryKey: ['retention', id, 'runs'] });
    });
  const save = async (next: RuleBody[], nextCron = policy?.trigger.settings.cron ?? '') => {
    if (policy) {
      await saveRetention(policy.id, project.project_id, next, nextCron);
      await client.invalidateQueries({ queryKey: retentionKeys.policy(policy.id) });
    } else {
      await createRetention(project.project_id, next, nextCron);
      await client.invalidateQueries({ queryKey: projectKeys.one(project.name) });
    }
  };
  return (
    <>
      <RuleForm onAdd={(r) => save([...rules.map(bodyOf), r])} />
      {error !== undefined && <ErrorNote error={error} />}
      {rules.length === 0 ? (
        <p className="muted">No rules: nothing is deleted.</p>
      ) : (
        <table aria-label="Retention rules">
          <thead>
            <tr>
              <th scope="col">Repositories</th>
              <th scope="col">Rule</th>
              <th scope="col">Enabled</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r, i) => {
              const s = r.scope_selectors.repository[0];
              const text = ruleText(r);
              return (
                <tr key={r.id}>
                  <td>
                    {s.decoration === 'repoMatches' ? 'matching' : 'excluding'} <code>{s.pattern}</code>
                  </td>
                  <td data-label="Rule">{text}</td>
                  <td data-label="Enabled">
                    <input
                      type="checkbox"
                      aria-label={`Rule ${r.id} is enabled`}
                      checked={!r.disabled}
                      onChange={run(async (e) => save(rules.map((x, j) => ({ ...bodyOf(x), disabled: j === i ? !e.target.checked : x.disabled }))))}
                    />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="link danger"
                      aria-label={`Delete rule ${r.id}`}
                      onClick={run(async () => save(rules.filter((_, j) => j !== i).map(bodyOf)))}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <form
        aria-label="Retention schedule"
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => save(rules.map(bodyOf), cron.trim()))();
        }}
      >
        <label>
          Schedule (cron, seconds first; empty: only when run)
          <input value={cron} onChange={(e) => setCron(e.target.value)} placeholder="0 0 3 * * *" />
        </label>
        <button type="submit">Save schedule</button>
      </form>
      {policy && (
        <>
          <div className="inline-form">
            <button type="button" className="primary" onClick={start(policy.id, false)}>
              Run now
            </button>
            <button type="button" onClick={start(policy.id, true)}>
              Dry run
            </button>
            {started && (
              <p className="ok" role="status">
                {started}
              </p>
            )}
          </div>
          <Runs policyId={policy.id} />
        </>
      )}
    </>
  );
}

function RuleForm({ onAdd }: { onAdd: (r: RuleBody) => Promise<void> }) {
  const { error, run } = useErrorSlot();
  const [repo, setRepo] = useState<RepositorySelector>({ decoration: 'repoMatches', pattern: '**' });
  const [template, setTemplate] = useState<RetentionTemplate>('latestPushedK');
  const [n, setN] = useState('10');
  const [tag, setTag] = useState<TagSelector>({ decoration: 'matches', pattern: '**' });
  const [untagged, setUntagged] = useState(true);
  const unit = templates.find((t) => t.value === template)?.unit;
  return (
    <form
      aria-label="New retention rule"
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () =>
          onAdd({
            disabled: false,
            action: 'retain',
            template,
            params: unit ? { [template]: Number(n) } : {},
            tag_selectors: [{ kind: 'doublestar', ...tag, extras: JSON.stringify({ untagged }) }],
            scope_selectors: { repository: [{ kind: 'doublestar', ...repo }] },
          }),
        )();
      }}
    >
      <RepositorySelectorFields value={repo} onChange={setRepo} />
      <label>
        Retain
        <select value={template} onChange={(e) => setTemplate(e.target.value as RetentionTemplate)}>
          {templates.map((t) => (
            <option key={t.value} value={t.value}>
              {t.text}
              {t.unit ? ` # ${t.unit}` : ''}
            </option>
          ))}
        </select>
      </label>
      {unit && (
        <label>
          Count ({unit})
          <input type="number" min={0} value={n} onChange={(e) => setN(e.target.value)} />
        </label>
      )}
      <TagSelectorFields value={tag} onChange={setTag} />
      <label className="check">
        <input type="checkbox" checked={untagged} onChange={(e) => setUntagged(e.target.checked)} />
        Untagged artifacts too
      </label>
      <button type="submit" className="primary" disabled={!tag.pattern || !repo.pattern}>
        Add rule
      </button>
      {error !== undefined && <ErrorNote error={error} />}
    </form>
  );
}

function Runs({ policyId }: { policyId: number }) {
  const client = useQueryClient();
  const [page, setPage] = useState(1);
  const [openId, setOpenId] = useState<number>();
  const { error, run } = useErrorSlot();
  const query = useQuery({
    queryKey: retentionKeys.runs(policyId, page),
    queryFn: () => listRetentionRuns(policyId, { page, pageSize }),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((r) => r.status === 'Pending' || r.status === 'Running') ? 1000 : false),
  });
  // The open run as the list shows it now, so its tasks refresh as it goes on.
  const open = query.data?.items.find((r) => r.id === openId);
  return (
    <>
      <h2>Runs</h2>
      {error !== undefined && <ErrorNote error={error} />}
      <QueryView query={query} what="retention runs" isEmpty={(d) => d.items.length === 0} empty="No retention run yet.">
        {(data) => (
          <PagedTable columns={['Run', 'Trigger', 'Status', 'Started', 'Ended', '']} page={page} pageSize={pageSize} total={data.total} onPage={setPage}>
            {data.items.map((r) => (
              <tr key={r.id}>
                <td>
                  #{r.id}
                  {r.dry_run && <span className="badge">dry run</span>}
                </td>
                <td data-label="Trigger">{r.trigger === 'MANUAL' ? 'Manual' : 'Scheduled'}</td>
                <td data-label="Status">
                  <span className={r.status === 'Success' ? 'badge public' : r.status === 'Error' ? 'badge bad' : 'badge'}>{r.status}</span>
                  {r.error && <span className="muted"> {r.error}</span>}
                </td>
                <td data-label="Started">{when(r.start_time)}</td>
                <td data-label="Ended">{when(r.end_time)}</td>
                <td>
                  <span className="row-actions">
                    <button type="button" className="link" aria-label={`Tasks of run ${r.id}`} onClick={() => setOpenId(openId === r.id ? undefined : r.id)}>
                      Tasks
                    </button>
                    {(r.status === 'Pending' || r.status === 'Running') && (
                      <button
                        type="button"
                        className="link danger"
                        onClick={run(async () => {
                          await stopRetentionRun(policyId, r.id);
                          await client.invalidateQueries({ queryKey: ['retention', policyId, 'runs'] });
                        })}
                      >
                        Stop
                      </button>
                    )}
                  </span>
                </td>
              </tr>
            ))}
          </PagedTable>
        )}
      </QueryView>
      {open && <Tasks policyId={policyId} run={open} />}
    </>
  );
}

function Tasks({ policyId, run }: { policyId: number; run: RetentionExecutionView }) {
  const [log, setLog] = useState<{ id: number; repository: string }>();
  const query = useQuery({
    queryKey: [...retentionKeys.tasks(policyId, run.id), run.status],
    queryFn: () => listRetentionTasks(policyId, run.id),
  });
  return (
    <>
      <h3>
        Tasks of run #{run.id}
        {run.dry_run ? ' (dry run: nothing was deleted)' : ''}
      </h3>
      <QueryView query={query} what="the run's tasks" isEmpty={(d) => d.items.length === 0} empty="No repository was selected by the rules.">
        {(data) => (
          <table aria-label={`Tasks of run ${run.id}`}>
            <thead>
              <tr>
                <th scope="col">Repository</th>
                <th scope="col">Status</th>
                <th scope="col">Artifacts</th>
                <th scope="col">Retained</th>
                <th scope="col">{run.dry_run ? 'Would delete' : 'Deleted'}</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((t) => (
                <tr key={t.id}>
                  <td>{t.repository}</td>
                  <td data-label="Status">{t.status}</td>
                  <td data-label="Artifacts">{t.total}</td>
                  <td data-label="Retained">{t.retained}</td>
                  <td data-label={run.dry_run ? 'Would delete' : 'Deleted'}>{t.deleted}</td>
                  <td>
                    <button type="button" className="link" aria-label={`Log of ${t.repository}`} onClick={() => setLog(t)}>
                      Log
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryView>
      {log && (
        <LogDialog
          title={`Retention log of ${log.repository}, run #${run.id}`}
          queryKey={retentionKeys.log(policyId, run.id, log.id)}
          load={() => getRetentionTaskLog(policyId, run.id, log.id)}
          onClose={() => setLog(undefined)}
        />
      )}
    </>
  );
}
