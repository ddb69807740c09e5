// An identity provider's user's CLI secret, from the user menu: what `docker login` takes
// instead of a password (the provider's own password never reaches Berth), and a new one.
import type { UserView } from '@berth/api-types';
import { useState } from 'react';
import { currentUser, setCliSecret } from '../api/users';
import { passwordRule, strongPassword } from '../password';
import { CopyButton, ErrorNote, Modal } from './ui';

export function CliSecretDialog({ user, onClose }: { user: UserView; onClose: () => void }) {
  const [secret, setSecret] = useState(user.oidc_user_meta?.secret ?? '');
  const [next, setNext] = useState('');
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const weak = next !== '' && !strongPassword(next);
  return (
    <Modal title="CLI secret" onClose={onClose}>
      <p>
        Log in with <code>docker login -u {user.username}</code> and this secret.
      </p>
      <label>
        CLI secret
        <input readOnly value={secret} onFocus={(e) => e.target.select()} />
      </label>
      <CopyButton text={secret} />
      <form
        aria-label="New CLI secret"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(undefined);
          try {
            await setCliSecret(user.user_id, next);
            setSecret((await currentUser()).oidc_user_meta?.secret ?? next);
            setNext('');
            setSaved(true);
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label>
          New secret
          <input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
        </label>
        {weak && <p className="muted">{passwordRule}</p>}
        {saved && (
          <p className="ok" role="status">
            Saved.
          </p>
        )}
        {error !== undefined && <ErrorNote error={error} />}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Close
          </button>
          <button type="submit" className="primary" disabled={!next || weak}>
            Set secret
          </button>
        </div>
      </form>
    </Modal>
  );
}
