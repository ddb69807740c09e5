// The system's health, component by component (polled), and its settings with the audit
// log's status; settings are read only, they change with a restart.
import { useQuery } from '@tanstack/react-query';
import { getAuditStatus, getHealth, getSystemInfo, systemKeys } from '../../api/system';
import { ErrorNote, Loading } from '../../components/ui';

export function System() {
  // An unhealthy report comes with 503; it is still the report.
  const health = useQuery({ queryKey: systemKeys.health, queryFn: getHealth, refetchInterval: 10_000 });
  const info = useQuery({ queryKey: systemKeys.info, queryFn: getSystemInfo });
  const audit = useQuery({ queryKey: systemKeys.auditStatus, queryFn: getAuditStatus });
  return (
    <>
      <h2>Health</h2>
      {health.isPending ? (
        <Loading what="health" />
      ) : health.isError ? (
        <ErrorNote error={health.error} onRetry={() => health.refetch()} />
      ) : (
        <table aria-label="Component health">
          <tbody>
            {health.data.components.map((c) => (
              <tr key={c.name}>
                <th scope="row">{c.name}</th>
                <td>
                  <span className={c.status === 'healthy' ? 'badge public' : 'badge bad'}>{c.status}</span>{' '}
                  {c.error && <span className="muted">{c.error}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2 className="spaced">Settings</h2>
      {info.isPending ? (
        <Loading what="settings" />
      ) : info.isError ? (
        <ErrorNote error={info.error} />
      ) : (
        <dl className="facts">
          {Object.entries({ ...info.data, ...(audit.data ? Object.fromEntries(Object.entries(audit.data).map(([k, v]) => [`audit ${k}`, v])) : {}) }).map(
            ([k, v]) => (
              <div key={k} className="fact">
                <dt>{k.replace(/_/g, ' ')}</dt>
                <dd>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
              </div>
            ),
          )}
        </dl>
      )}
      <p className="hint">Settings come from the environment or BERTH_CONFIG (docs/operations.md); they change with a restart.</p>
    </>
  );
}
