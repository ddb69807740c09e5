import { useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { ErrorNote } from '../components/ui';
import { useSession } from '../session';

export function SignIn() {
  const { user, signIn } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const back = (location.state as { from?: string } | null)?.from ?? '/projects';
  if (user) return <Navigate to={back} replace />;
  return (
    <main className="signin">
      <form
        aria-label="Sign in"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            await signIn(username, password);
            navigate(back, { replace: true });
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1>Berth</h1>
        <p className="muted">Container registry</p>
        <label>
          Username
          <input autoComplete="username" required autoFocus value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label>
          Password
          <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error !== undefined && <ErrorNote error={error} />}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
