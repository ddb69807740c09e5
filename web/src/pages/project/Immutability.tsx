// A project's tag immutability rules (its administrators and maintainers): which tags of
// which repositories can be pushed once and then never moved or deleted.
import type { ProjectView } from '@berth/api-types';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { bodyOf, createImmutableRule, deleteImmutableRule, immutableKeys, listImmutableRules, updateImmutableRule } from '../../api/immutability';
import { type RepositorySelector, RepositorySelectorFields, type TagSelector, TagSelectorFields } from '../../components/selectors';
import { ErrorNote, QueryView, useErrorSlot } from '../../components/ui';

export function Immutability({ project }: { project: ProjectView }) {
  const client = useQueryClient();
  const query = useQuery({ queryKey: immutableKeys.project(project.name), queryFn: () => listImmutableRules(project.name) });
  const reload = () => client.invalidateQueries({ queryKey: immutableKeys.project(project.name) });
  const { error, run } = useErrorSlot();
  const [repo, setRepo] = useState<RepositorySelector>({ decoration: 'repoMatches', pattern: '**' });
  const [tag, setTag] = useState<TagSelector>({ decoration: 'matches', pattern: '' });
  return (
    <>
      <p className="muted">A tag these rules select can be pushed once; it is then never moved to other content or deleted, and its artifact stays.</p>
      <form
        aria-label="New immutability rule"
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await createImmutableRule(project.name, {
              disabled: false,
              tag_selectors: [{ kind: 'doublestar', ...tag }],
              scope_selectors: { repository: [{ kind: 'doublestar', ...repo }] },
            });
            setTag({ ...tag, pattern: '' });
            await reload();
          })();
        }}
      >
        <RepositorySelectorFields value={repo} onChange={setRepo} />
        <TagSelectorFields value={tag} onChange={setTag} />
        <button type="submit" className="primary" disabled={!tag.pattern || !repo.pattern}>
          Add rule
        </button>
      </form>
      {error !== undefined && <ErrorNote error={error} />}
      <QueryView query={query} what="immutability rules" isEmpty={(d) => d.length === 0} empty="No rules: every tag can be moved and deleted.">
        {(rules) => (
          <table aria-label="Immutability rules">
            <thead>
              <tr>
                <th scope="col">Repositories</th>
                <th scope="col">Tags</th>
                <th scope="col">Enabled</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rules.map((r) => {
                const s = r.scope_selectors.repository[0];
                const t = r.tag_selectors[0];
                const name = `${s.decoration === 'repoMatches' ? 'matching' : 'excluding'} ${s.pattern}, tags ${t.decoration === 'matches' ? 'matching' : 'excluding'} ${t.pattern}`;
                return (
                  <tr key={r.id}>
                    <td>
                      {s.decoration === 'repoMatches' ? 'matching' : 'excluding'} <code>{s.pattern}</code>
                    </td>
                    <td data-label="Tags">
                      {t.decoration === 'matches' ? 'matching' : 'excluding'} <code>{t.pattern}</code>
                    </td>
                    <td data-label="Enabled">
                      <input
                        type="checkbox"
                        aria-label={`Rule ${name} is enabled`}
                        checked={!r.disabled}
                        onChange={run(async (e) => {
                          await updateImmutableRule(project.name, r.id, { ...bodyOf(r), disabled: !e.target.checked });
                          await reload();
                        })}
                      />
                    </td>
                    <td>
                      <button
                        type="button"
                        className="link danger"
                        aria-label={`Delete rule ${name}`}
                        onClick={run(async () => {
                          await deleteImmutableRule(project.name, r.id);
                          await reload();
                        })}
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
      </QueryView>
    </>
  );
}
