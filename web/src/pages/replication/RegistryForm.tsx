// A registry's form, built from its type's fields as the adapter describes them; it can
// test the connection before saving.
import type { RegistryView } from '@berth/api-types';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { adapterInfoKeys, createRegistry, getAdapterInfos, pingRegistry, updateRegistry } from '../../api/replication';
import { ErrorNote, Loading, Modal } from '../../components/ui';

export function RegistryForm({ stored, onClose, onSaved }: { stored?: RegistryView; onClose: () => void; onSaved: () => void }) {
  const infos = useQuery({ queryKey: adapterInfoKeys.all, queryFn: getAdapterInfos });
  const [type, setType] = useState(stored?.type ?? 'berth');
  const [name, setName] = useState(stored?.name ?? '');
  const [values, setValues] = useState<Record<string, string | boolean>>({
    url: stored?.url ?? '',
    access_key: stored?.credential.access_key ?? '',
    access_secret: stored?.credential.access_secret ?? '',
    insecure: stored?.insecure ?? false,
  });
  const [error, setError] = useState<unknown>();
  const [tested, setTested] = useState<string>();
  const info = infos.data?.[type];
  const body = () => ({
    name,
    type,
    url: values.url as string,
    insecure: values.insecure === true,
    credential: values.access_key ? { type: 'basic', access_key: values.access_key as string, access_secret: values.access_secret as string } : undefined,
  });
  const badUrl = typeof values.url === 'string' && values.url !== '' && !/^https?:\/\/[^\s/]+/.test(values.url);
  return (
    <Modal title={stored ? `Edit ${stored.name}` : 'New registry'} onClose={onClose}>
      {infos.isPending ? (
        <Loading what="registry types" />
      ) : infos.isError ? (
        <ErrorNote error={infos.error} />
      ) : (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            setError(undefined);
            try {
              if (stored) await updateRegistry(stored.id, body());
              else await createRegistry(body());
              onSaved();
            } catch (err) {
              setError(err);
            }
          }}
        >
          <label>
            Type
            <select value={type} onChange={(e) => setType(e.target.value)} disabled={!!stored}>
              {Object.values(infos.data).map((a) => (
                <option key={a.type} value={a.type}>
                  {a.type}
                </option>
              ))}
            </select>
          </label>
          {info && <p className="hint">{info.description}</p>}
          <label>
            Name
            <input required value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          {info?.fields.map((f) =>
            f.type === 'boolean' ? (
              <label key={f.key} className="check">
                <input type="checkbox" checked={values[f.key] === true} onChange={(e) => setValues({ ...values, [f.key]: e.target.checked })} />
                {f.label}
              </label>
            ) : (
              <label key={f.key}>
                {f.label}
                <input
                  type={f.type === 'password' ? 'password' : f.type === 'url' ? 'url' : 'text'}
                  required={f.required && !(f.key === 'access_secret' && stored)}
                  placeholder={f.placeholder}
                  value={String(values[f.key] ?? '')}
                  aria-invalid={f.key === 'url' && badUrl}
                  onChange={(e) => setValues({ ...values, [f.key]: e.target.value })}
                />
                {f.help && <span className="hint">{f.help}</span>}
              </label>
            ),
          )}
          {tested && (
            <p className="ok" role="status">
              {tested}
            </p>
          )}
          {error !== undefined && <ErrorNote error={error} />}
          <div className="actions">
            <button
              type="button"
              disabled={!values.url || badUrl}
              onClick={async () => {
                setError(undefined);
                setTested(undefined);
                try {
                  await pingRegistry({ ...body(), ...(stored ? { id: stored.id } : {}) });
                  setTested('The registry answers and accepts the credentials.');
                } catch (err) {
                  setError(err);
                }
              }}
            >
              Test connection
            </button>
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={!name || !values.url || badUrl}>
              Save
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}
