// A new local user's form; the password is checked against Harbor's rule before it is sent.
import { useState } from 'react';
import { createUser } from '../../api/users';
import { ErrorNote, Modal } from '../../components/ui';
import { passwordRule, strongPassword } from '../../password';

export function NewUser({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const [f, setF] = useState({ username: '', email: '', realname: '', password: '' });
  const [error, setError] = useState<unknown>();
  const badName = f.username !== '' && !/^[a-z0-9][a-z0-9._-]{0,254}$/i.test(f.username);
  const badEmail = f.email !== '' && !/^[^\s@]+@[^\s@]+$/.test(f.email);
  const weak = f.password !== '' && !strongPassword(f.password);
  return (
    <Modal title="New user" onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await createUser({ ...f, realname: f.realname || f.username });
            onCreated();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label>
          User name
          <input required autoFocus value={f.username} onChange={(e) => setF({ ...f, username: e.target.value.trim() })} aria-invalid={badName} />
        </label>
        <label>
          Email
          <input type="email" required value={f.email} onChange={(e) => setF({ ...f, email: e.target.value.trim() })} aria-invalid={badEmail} />
        </label>
        <label>
          Full name
          <input value={f.realname} onChange={(e) => setF({ ...f, realname: e.target.value })} />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="new-password"
            required
            value={f.password}
            onChange={(e) => setF({ ...f, password: e.target.value })}
            aria-invalid={weak}
          />
        </label>
        <p className={weak ? 'hint bad' : 'hint'}>{passwordRule}</p>
        {error !== undefined && <ErrorNote error={error} />}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!f.username || !f.email || !f.password || badName || badEmail || weak}>
            Create
          </button>
        </div>
      </form>
    </Modal>
  );
}
