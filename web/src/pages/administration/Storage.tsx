// Storage used per project, largest first, as a bar chart (a blob counts once per
// project that uses it).
import { useQuery } from '@tanstack/react-query';
import { listProjectsForStorage, projectKeys } from '../../api/projects';
import { Empty, ErrorNote, Loading } from '../../components/ui';
import { bytes } from '../../format';

export function Storage() {
  const query = useQuery({ queryKey: projectKeys.storage, queryFn: listProjectsForStorage });
  if (query.isPending) return <Loading what="storage" />;
  if (query.isError) return <ErrorNote error={query.error} onRetry={() => query.refetch()} />;
  const rows = [...query.data.items].sort((a, b) => b.storage_used - a.storage_used);
  const total = rows.reduce((n, p) => n + p.storage_used, 0);
  const max = Math.max(1, ...rows.map((p) => p.storage_used));
  if (!rows.length) return <Empty>No projects.</Empty>;
  return (
    <>
      <p>
        {bytes(total)} in {query.data.total} project{query.data.total === 1 ? '' : 's'}
        {query.data.total > rows.length ? ` (the ${rows.length} shown)` : ''}. A blob counts once per project that uses it.
      </p>
      <figure className="chart" aria-label="Storage used per project">
        {rows.map((p) => (
          <div key={p.project_id} className="chart-row">
            <span className="chart-label">{p.name}</span>
            <span className="chart-bar" role="img" aria-label={`${p.name}: ${bytes(p.storage_used)}`}>
              <span style={{ width: `${(p.storage_used / max) * 100}%` }} />
            </span>
            <span className="chart-value">
              {bytes(p.storage_used)}
              {p.storage_limit >= 0 && <span className="muted"> of {bytes(p.storage_limit)}</span>}
            </span>
          </div>
        ))}
      </figure>
    </>
  );
}
