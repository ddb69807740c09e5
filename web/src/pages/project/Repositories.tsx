// A project's repositories: search by name and page (both kept in the address), with the
// push command to start one.
import type { ProjectView } from '@berth/api-types';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { repoSegment } from '../../api/client';
import { listRepositories, repositoryKeys } from '../../api/repositories';
import { PagedTable, QueryView } from '../../components/ui';
import { when } from '../../format';

const pageSize = 15;

export function Repositories({ project }: { project: ProjectView }) {
  const [params, setParams] = useSearchParams();
  const page = Number(params.get('page') ?? 1);
  const name = params.get('name') ?? '';
  const query = useQuery({
    queryKey: repositoryKeys.list(project.name, { page, name }),
    queryFn: () => listRepositories(project.name, { name, page, pageSize }),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <div className="toolbar">
        <label>
          Search
          <input
            type="search"
            placeholder="Repository name"
            defaultValue={name}
            onChange={(e) => setParams({ name: e.target.value, page: '1' }, { replace: true })}
          />
        </label>
        <span className="muted">
          Push with{' '}
          <code>
            docker push {location.host}/{project.name}/&lt;name&gt;:&lt;tag&gt;
          </code>
        </span>
      </div>
      <QueryView
        query={query}
        what="repositories"
        isEmpty={(d) => d.items.length === 0}
        empty={name ? `No repository matches “${name}”.` : 'Nothing pushed to this project yet.'}
      >
        {(data) => (
          <PagedTable
            columns={['Repository', 'Artifacts', 'Pulls', 'Last push']}
            page={page}
            pageSize={pageSize}
            total={data.total}
            onPage={(p) => setParams({ name, page: String(p) })}
          >
            {data.items.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to={`/projects/${project.name}/repositories/${repoSegment(r.name, project.name)}`}>{r.name}</Link>
                </td>
                <td data-label="Artifacts">{r.artifact_count}</td>
                <td data-label="Pulls">{r.pull_count}</td>
                <td data-label="Last push">{when(r.update_time)}</td>
              </tr>
            ))}
          </PagedTable>
        )}
      </QueryView>
    </>
  );
}
