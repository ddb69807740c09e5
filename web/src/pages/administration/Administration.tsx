// Administration (system administrators): users, the health of each component with the
// system's settings, and storage used per project; one tab each, with its own address.
import { NavLink, useParams } from 'react-router';
import { Storage } from './Storage';
import { System } from './System';
import { Users } from './Users';

export function Administration() {
  const { tab = 'users' } = useParams();
  return (
    <section>
      <div className="heading">
        <h1>Administration</h1>
      </div>
      <nav className="tabs" aria-label="Administration sections">
        <NavLink to="/admin/users">Users</NavLink>
        <NavLink to="/admin/system">System</NavLink>
        <NavLink to="/admin/storage">Storage</NavLink>
      </nav>
      {tab === 'system' ? <System /> : tab === 'storage' ? <Storage /> : <Users />}
    </section>
  );
}
