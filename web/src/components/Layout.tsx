// The frame of every signed-in page: the product name, the main sections and the user menu.
import { useState } from 'react';
import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { useSession } from '../session';
import { CliSecretDialog } from './CliSecretDialog';
import { PasswordDialog } from './PasswordDialog';

export function Layout() {
  const { user, signOut } = useSession();
  const navigate = useNavigate();
  const [changing, setChanging] = useState(false);
  return (
    <div className="shell">
      <header className="top">
        <Link className="brand" to="/projects">
          Berth
        </Link>
        <nav aria-label="Sections">
          <NavLink to="/projects">Projects</NavLink>
          {user?.sysadmin_flag && <NavLink to="/replication">Replication</NavLink>}
          {user?.sysadmin_flag && <NavLink to="/audit-log">Audit log</NavLink>}
          {user?.sysadmin_flag && <NavLink to="/admin">Administration</NavLink>}
        </nav>
        <div className="user">
          <span title="Signed in as">{user?.username}</span>
          <button type="button" className="link" onClick={() => setChanging(true)}>
            {user?.source === 'oidc' ? 'CLI secret' : 'Change password'}
          </button>
          <button
            type="button"
            onClick={async () => {
              await signOut();
              navigate('/sign-in', { replace: true });
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main>
        <Outlet />
      </main>
      {changing && user && user.source === 'oidc' && <CliSecretDialog user={user} onClose={() => setChanging(false)} />}
      {changing && user && user.source === 'db' && <PasswordDialog userId={user.user_id} onClose={() => setChanging(false)} />}
    </div>
  );
}
