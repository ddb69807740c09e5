// The signed-in user's own password change, opened from the user menu; the old password
// is asked for, and the server ends the user's other sessions.
import { useState } from 'react';
import { changePassword } from '../api/users';
import { passwordRule, strongPassword } from '../password';
import { ErrorNote, Modal } from './ui';

/** Changes the signed-in user's own password (Harbor's rule: 8–128 characters with upper, lower case and a digit). */
export function PasswordDialog({ userId, onClose }: { userId: number; onClose: () => void }) {
  const [old, setOld] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  const weak = next !== '' && !strongPassword(next);
  const mismatch = again && next !== again;
  return (
    <Modal title="Change password" onClose={onClose}>
      {done ? (
        <>
          <p>Your password was changed. Other sessions of yours were signed out.</p>
          <div className="actions">
            <button type="button" onClick={onClose}>
              Close
            </button>
          </div>
        </>
      ) : (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            try {
              await changePassword(userId, { old_password: old, new_password: next });
              setDone(true);
            } catch (err) {
              setError(err);
            }
          }}
        >
          <label>
            Current password
            <input type="password" autoComplete="current-password" required value={old} onChange={(e) => setOld(e.target.value)} />
          </label>
          <label>
            New password
            <input type="password" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} aria-invalid={!!weak} />
          </label>
          {weak && <p className="hint">{passwordRule}</p>}
          <label>
            New password again
            <input type="password" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} aria-invalid={!!mismatch} />
          </label>
          {mismatch && <p className="hint">The two new passwords differ.</p>}
          {error !== undefined && <ErrorNote error={error} />}
          <div className="actions">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={!!weak || !!mismatch || !old || !next || next !== again}>
              Change password
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}
