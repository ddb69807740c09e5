import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Navigate, useLocation, useNavigate, useSearchParams } from 'react-router';
import { getSystemInfo, systemKeys } from '../api/system';
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
  // The identity provider's sign-in comes back here with ?error= when it failed.
  const [params] = useSearchParams();
  const info = useQuery({ queryKey: systemKeys.info, queryFn: getSystemInfo });
  const modes = (info.data?.auth_modes as string[] | undefined) ?? [];
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
        {modes.includes('oidc_auth') && (
          // A full navigation: the provider's pages are not the console's.
          <a className="button" href="/c/oidc/login">
            Sign in with {String(info.data?.oidc_provider_name ?? 'OIDC')}
          </a>
        )}
        {params.get('error') && (
          <p className="error" role="alert">
            {params.get('error')}
          </p>
        )}
      </form>
    </main>
  );
}
