// Sign-in (system administrators): which sources users sign in with, the directory's
// settings with a connection test, the OIDC provider's, and the groups Berth knows.
// Settings pinned by the server's environment are shown read-only; secrets are write-only.
import type { ConfigurationItem, UserGroupView } from '@berth/api-types';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { addLdapGroup, deleteUserGroup, getConfigurations, identityKeys, listUserGroups, pingLdap, updateConfigurations } from '../../api/identity';
import { DeleteDialog, Empty, ErrorNote, PagedTable, QueryView, useErrorSlot } from '../../components/ui';

// The directory's settings in the order an administrator fills them in, with labels.
const ldapFields: Array<[string, string]> = [
  ['ldap_url', 'Server URL'],
  ['ldap_starttls', 'StartTLS'],
  ['ldap_verify_cert', 'Verify certificate'],
  ['ldap_search_dn', 'Search DN'],
  ['ldap_base_dn', 'User base DN'],
  ['ldap_filter', 'User filter'],
  ['ldap_uid', 'User name attribute'],
  ['ldap_scope', 'User search scope'],
  ['ldap_timeout', 'Timeout (seconds)'],
  ['ldap_cache_seconds', 'Reuse a login for (seconds)'],
  ['ldap_group_base_dn', 'Group base DN'],
  ['ldap_group_search_filter', 'Group filter'],
  ['ldap_group_attribute_name', 'Group name attribute'],
  ['ldap_group_search_scope', 'Group search scope'],
  ['ldap_group_membership_attribute', "User's groups attribute"],
  ['ldap_group_member_attribute', "Group's members attribute"],
  ['ldap_group_nested', 'Nested groups'],
  ['ldap_group_admin_dn', 'Administrators group DN'],
];
const scopes = ['Base', 'One level', 'Subtree'];
const modeLabels: Array<[string, string]> = [
  ['db_auth', 'Local users (administrators always can)'],
  ['ldap_auth', 'LDAP directory'],
  ['oidc_auth', 'OIDC provider'],
];
const oidcFields: Array<[string, string]> = [
  ['oidc_name', 'Provider name'],
  ['oidc_endpoint', 'Issuer URL'],
  ['oidc_client_id', 'Client ID'],
  ['oidc_scope', 'Scopes'],
  ['oidc_user_claim', 'User name claim'],
  ['oidc_groups_claim', 'Groups claim'],
  ['oidc_admin_group', 'Administrators group'],
  ['oidc_auto_onboard', 'Create users at their first sign-in'],
  ['oidc_verify_cert', "Verify the provider's certificate"],
];

export function Authentication() {
  const query = useQuery({ queryKey: identityKeys.configurations, queryFn: getConfigurations });
  return (
    <>
      <QueryView query={query} what="the sign-in settings">
        {(settings) => <SettingsForm settings={settings} />}
      </QueryView>
      <Groups />
    </>
  );
}

function SettingsForm({ settings }: { settings: Record<string, ConfigurationItem> }) {
  const client = useQueryClient();
  const initial = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, v.value]));
  const [values, setValues] = useState<Record<string, unknown>>(initial);
  const [password, setPassword] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [note, setNote] = useState<{ ok: boolean; text: string }>();
  const { error, run } = useErrorSlot();
  const modes = (values.auth_modes as string[]) ?? ['db_auth'];
  const editable = (k: string) => settings[k]?.editable !== false;
  const set = (k: string, v: unknown) => setValues((old) => ({ ...old, [k]: v }));
  // Only what changed is sent: a pinned setting unchanged is never refused.
  const changes = () => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(values)) if (k !== 'auth_mode' && JSON.stringify(v) !== JSON.stringify(initial[k])) out[k] = v;
    if (password) out.ldap_search_password = password;
    if (clientSecret) out.oidc_client_secret = clientSecret;
    return out;
  };
  const toggleMode = (mode: string, on: boolean) => set('auth_modes', on ? [...new Set([...modes, mode])] : modes.filter((m) => m !== mode));

  return (
    <form
      aria-label="Sign-in settings"
      className="settings"
      onSubmit={run(async (e) => {
        e.preventDefault();
        setNote(undefined);
        await updateConfigurations(changes());
        setPassword('');
        setClientSecret('');
        await client.invalidateQueries({ queryKey: identityKeys.configurations });
        setNote({ ok: true, text: 'Saved.' });
      })}
    >
      <fieldset>
        <legend>Users sign in with</legend>
        {modeLabels.map(([mode, label]) => (
          <label key={mode} className="check">
            <input type="checkbox" checked={modes.includes(mode)} disabled={!editable('auth_modes')} onChange={(e) => toggleMode(mode, e.target.checked)} />
            {label}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>LDAP directory</legend>
        {ldapFields.map(([key, label]) => (
          <Fragment key={key}>
            <Field name={key} label={label} value={values[key]} disabled={!editable(key)} onChange={(v) => set(key, v)} />
            {key === 'ldap_search_dn' && (
              <label>
                Search password
                <input type="password" autoComplete="new-password" placeholder="unchanged" value={password} onChange={(e) => setPassword(e.target.value)} />
              </label>
            )}
          </Fragment>
        ))}
      </fieldset>
      <fieldset>
        <legend>OIDC provider</legend>
        <p className="muted">
          Register <code>{`${window.location.origin}/c/oidc/callback`}</code> as the redirect URI at the provider.
        </p>
        {oidcFields.map(([key, label]) => (
          <Fragment key={key}>
            <Field name={key} label={label} value={values[key]} disabled={!editable(key)} onChange={(v) => set(key, v)} />
            {key === 'oidc_client_id' && (
              <label>
                Client secret
                <input
                  type="password"
                  autoComplete="new-password"
                  placeholder="unchanged"
                  value={clientSecret}
                  onChange={(e) => setClientSecret(e.target.value)}
                />
              </label>
            )}
          </Fragment>
        ))}
      </fieldset>
      <div className="actions">
        <button
          type="button"
          onClick={run(async () => {
            setNote(undefined);
            const trial = Object.fromEntries(Object.entries(changes()).filter(([k]) => k.startsWith('ldap_')));
            const r = await pingLdap(trial);
            setNote({ ok: r.success, text: r.success ? 'Connected: the directory answered.' : r.message });
          })}
        >
          Test connection
        </button>
        <button type="submit" className="primary">
          Save
        </button>
      </div>
      {note && (
        <p className={note.ok ? 'ok' : 'error'} role="status">
          {note.text}
        </p>
      )}
      {error !== undefined && <ErrorNote error={error} />}
    </form>
  );
}

function Field({ name, label, value, disabled, onChange }: { name: string; label: string; value: unknown; disabled: boolean; onChange: (v: unknown) => void }) {
  if (typeof value === 'boolean') {
    return (
      <label className="check">
        <input type="checkbox" name={name} checked={value} disabled={disabled} onChange={(e) => onChange(e.target.checked)} />
        {label}
      </label>
    );
  }
  if (name.endsWith('_scope')) {
    return (
      <label>
        {label}
        <select name={name} value={Number(value)} disabled={disabled} onChange={(e) => onChange(Number(e.target.value))}>
          {scopes.map((s, i) => (
            <option key={s} value={i}>
              {s}
            </option>
          ))}
        </select>
      </label>
    );
  }
  return (
    <label>
      {label}
      <input
        name={name}
        type={typeof value === 'number' ? 'number' : 'text'}
        value={String(value ?? '')}
        disabled={disabled}
        onChange={(e) => onChange(typeof value === 'number' ? Number(e.target.value) : e.target.value)}
      />
    </label>
  );
}

const groupsPageSize = 20;

function Groups() {
  const client = useQueryClient();
  const [page, setPage] = useState(1);
  const query = useQuery({
    queryKey: identityKeys.groupPage(page),
    queryFn: () => listUserGroups({ page, pageSize: groupsPageSize }),
    placeholderData: keepPreviousData,
  });
  const [dn, setDn] = useState('');
  const [removing, setRemoving] = useState<UserGroupView>();
  const { error, run } = useErrorSlot();
  const refresh = () => client.invalidateQueries({ queryKey: identityKeys.groups });
  return (
    <section aria-label="User groups">
      <h2>User groups</h2>
      <p className="muted">LDAP and OIDC groups, to add to projects as members. A group appears by itself when one of its members signs in.</p>
      <form
        className="toolbar"
        aria-label="Add LDAP group"
        onSubmit={run(async (e) => {
          e.preventDefault();
          await addLdapGroup(dn);
          setDn('');
          await refresh();
        })}
      >
        <label>
          Group DN
          <input required value={dn} onChange={(e) => setDn(e.target.value)} placeholder="cn=devs,ou=groups,dc=example,dc=com" />
        </label>
        <button type="submit" className="primary" disabled={!dn.trim()}>
          Add group
        </button>
      </form>
      {error !== undefined && <ErrorNote error={error} />}
      <QueryView query={query} what="user groups" isEmpty={(d) => d.items.length === 0} empty={<Empty>No user groups.</Empty>}>
        {(data) => (
          <PagedTable columns={['Name', 'Type', 'DN', '']} page={page} pageSize={groupsPageSize} total={data.total} onPage={setPage}>
            {data.items.map((g) => (
              <tr key={g.id}>
                <td>{g.group_name}</td>
                <td>{g.group_type === 1 ? 'LDAP' : 'OIDC'}</td>
                <td>
                  <code>{g.ldap_group_dn}</code>
                </td>
                <td>
                  <button type="button" className="link danger" onClick={() => setRemoving(g)} aria-label={`Delete group ${g.group_name}`}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </PagedTable>
        )}
      </QueryView>
      {removing && (
        <DeleteDialog
          title="Delete user group"
          action="Delete"
          body={
            <p>
              Delete <strong>{removing.group_name}</strong>? It stops being a member of every project.
            </p>
          }
          onDelete={() => deleteUserGroup(removing.id)}
          onClose={() => setRemoving(undefined)}
          onDeleted={() => refresh()}
        />
      )}
    </section>
  );
}
