// Administration (system administrators): users, sign-in (sources, the directory, user
// groups), the health of each component with the system's settings, storage used per
// project, garbage collection, and vulnerability scanners; one tab each, with its own address.
import { NavLink, useParams } from 'react-router';
import { Authentication } from './Authentication';
import { GarbageCollection } from './GarbageCollection';
import { Scanners } from './Scanners';
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
        <NavLink to="/admin/authentication">Sign-in</NavLink>
        <NavLink to="/admin/system">System</NavLink>
        <NavLink to="/admin/storage">Storage</NavLink>
        <NavLink to="/admin/gc">Garbage collection</NavLink>
        <NavLink to="/admin/scanners">Scanners</NavLink>
      </nav>
      {tab === 'authentication' ? (
        <Authentication />
      ) : tab === 'system' ? (
        <System />
      ) : tab === 'storage' ? (
        <Storage />
      ) : tab === 'gc' ? (
        <GarbageCollection />
      ) : tab === 'scanners' ? (
        <Scanners />
      ) : (
        <Users />
      )}
    </section>
  );
}
