// A new user of the identity provider picks their Berth user name (automatic onboarding
// off), once, after the provider confirmed who they are.
import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { onboard } from '../api/users';
import { ErrorNote } from '../components/ui';
import { useSession } from '../session';

export function OidcOnboard() {
  const [params] = useSearchParams();
  const [username, setUsername] = useState(params.get('name') ?? '');
  const [error, setError] = useState<unknown>();
  const { refresh } = useSession();
  const navigate = useNavigate();
  return (
    <main className="signin">
      <form
        aria-label="Choose a user name"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(undefined);
          try {
            await onboard(username);
            await refresh();
            navigate('/projects', { replace: true });
          } catch (err) {
            setError(err);
          }
        }}
      >
        <h1>Berth</h1>
        <p className="muted">Choose the user name you will have here.</p>
        <label>
          User name
          <input required autoFocus value={username} onChange={(e) => setUsername(e.target.value.trim())} />
        </label>
        {error !== undefined && <ErrorNote error={error} />}
        <button type="submit" className="primary">
          Continue
        </button>
      </form>
    </main>
  );
}
