// An administrator's reset of another user's password: no old password asked for; the
// user's sessions end.
import type { UserView } from '@berth/api-types';
import { useState } from 'react';
import { changePassword } from '../../api/users';
import { ErrorNote, Modal } from '../../components/ui';
import { passwordRule, strongPassword } from '../../password';

export function ResetPassword({ user, onClose }: { user: UserView; onClose: () => void }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  const weak = password !== '' && !strongPassword(password);
  return (
    <Modal title={`Reset the password of ${user.username}`} onClose={onClose}>
      {done ? (
        <>
          <p>The password was changed and {user.username}'s sessions were ended.</p>
          <div className="actions">
            <button type="button" className="primary" onClick={onClose}>
              Close
            </button>
          </div>
        </>
      ) : (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            try {
              await changePassword(user.user_id, { new_password: password });
              setDone(true);
            } catch (err) {
              setError(err);
            }
          }}
        >
          <label>
            New password
            <input
              type="password"
              autoComplete="new-password"
              required
              autoFocus
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={weak}
            />
          </label>
          <p className={weak ? 'hint bad' : 'hint'}>{passwordRule}</p>
          {error !== undefined && <ErrorNote error={error} />}
          <div className="actions">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={!password || weak}>
              Reset password
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}
