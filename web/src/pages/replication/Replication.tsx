// Replication: the registries it talks to (forms built from each adapter's own fields),
// the rules, and their executions with live progress; one tab each, with its own address.
import { NavLink, useParams } from 'react-router';
import { Executions } from './Executions';
import { Registries } from './Registries';
import { Rules } from './Rules';

export function Replication() {
  const { tab = 'rules' } = useParams();
  return (
    <section>
      <div className="heading">
        <h1>Replication</h1>
      </div>
      <nav className="tabs" aria-label="Replication sections">
        <NavLink to="/replication/rules">Rules</NavLink>
        <NavLink to="/replication/executions">Executions</NavLink>
        <NavLink to="/replication/registries">Registries</NavLink>
      </nav>
      {tab === 'registries' ? <Registries /> : tab === 'executions' ? <Executions /> : <Rules />}
    </section>
  );
}
