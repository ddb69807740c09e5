// One project: its repositories, members, robot accounts, tag retention and immutability, logs and
// settings, each a tab with its own address.
import { useQuery } from '@tanstack/react-query';
import { Link, NavLink, useParams } from 'react-router';
import { getProject, projectKeys } from '../../api/projects';
import { ErrorNote, Loading, QuotaBar } from '../../components/ui';
import { AuditLogPage } from '../AuditLog';
import { Robots } from '../Robots';
import { Immutability } from './Immutability';
import { Members } from './Members';
import { Repositories } from './Repositories';
import { Retention } from './Retention';
import { Settings } from './Settings';
import { useSession } from '../../session';

export function ProjectPage() {
  const { project = '', tab = 'repositories' } = useParams();
  const { user } = useSession();
  const query = useQuery({ queryKey: projectKeys.one(project), queryFn: () => getProject(project) });
  if (query.isPending) return <Loading what="the project" />;
  if (query.isError) return <ErrorNote error={query.error} onRetry={() => query.refetch()} />;
  const p = query.data;
  const admin = p.current_user_role_id === 1;
  // Harbor: project administrators and maintainers manage immutability rules.
  const maintainer = admin || p.current_user_role_id === 4 || user?.sysadmin_flag === true;
  // Tag retention: developers too (the role table's tag-retention).
  const retention = maintainer || p.current_user_role_id === 2;
  return (
    <section>
      <p className="crumbs">
        <Link to="/projects">Projects</Link> /
      </p>
      <div className="heading">
        <h1>{p.name}</h1>
        <span className={p.public ? 'badge public' : 'badge'}>{p.public ? 'Public' : 'Private'}</span>
        <QuotaBar used={p.storage_used} limit={p.storage_limit} />
      </div>
      <nav className="tabs" aria-label="Project sections">
        <NavLink to={`/projects/${p.name}/repositories`}>Repositories</NavLink>
        <NavLink to={`/projects/${p.name}/members`}>Members</NavLink>
        <NavLink to={`/projects/${p.name}/robots`}>Robot accounts</NavLink>
        {retention && <NavLink to={`/projects/${p.name}/retention`}>Tag retention</NavLink>}
        {maintainer && <NavLink to={`/projects/${p.name}/immutability`}>Tag immutability</NavLink>}
        {admin && <NavLink to={`/projects/${p.name}/logs`}>Logs</NavLink>}
        <NavLink to={`/projects/${p.name}/settings`}>Settings</NavLink>
      </nav>
      {tab === 'members' ? (
        <Members project={p} />
      ) : tab === 'robots' ? (
        <Robots project={p} />
      ) : tab === 'retention' ? (
        <Retention project={p} />
      ) : tab === 'immutability' ? (
        <Immutability project={p} />
      ) : tab === 'logs' ? (
        <AuditLogPage project={p.name} />
      ) : tab === 'settings' ? (
        <Settings project={p} canEdit={admin} />
      ) : (
        <Repositories project={p} />
      )}
    </section>
  );
}
