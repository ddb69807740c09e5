// The sign-in settings of Harbor's /api/v2.0/configurations (LDAP, OIDC), by Harbor's
// names. An administrator changes them through the API and they live in PostgreSQL, so
// every node sees the same; an environment variable BERTH_<NAME IN CAPITALS> pins one
// (editable: false in the API), for deployments that keep settings in their manifests.
import { z } from 'zod';

/** The identity sources Berth can take at once; local users are db_auth. */
export const authModes = ['db_auth', 'ldap_auth', 'oidc_auth'] as const;
export type AuthMode = (typeof authModes)[number];

type Kind = 'text' | 'bool' | 'int' | 'list';

interface Setting {
  kind: Kind;
  schema: z.ZodType;
  default: unknown;
  /** Write-only: never returned, stored sealed. */
  secret?: boolean;
  help: string;
}

const attribute = z
  .string()
  .regex(/^([A-Za-z][A-Za-z0-9-]*)?$/, 'must be an attribute name')
  .max(100);
const dn = z.string().max(1024);
// A filter is written with its parentheses, as LDAP tools take it; checked for balance here
// and by the directory when used.
const filter = z
  .string()
  .max(2048)
  .refine((f) => f === '' || (f.startsWith('(') && f.endsWith(')') && balanced(f)), 'must be an LDAP filter in parentheses, e.g. (objectClass=person)');
const scope = z.number().int().min(0).max(2);

function balanced(f: string): boolean {
  let depth = 0;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '\\') i++;
    else if (f[i] === '(') depth++;
    else if (f[i] === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

export const authSettings = {
  auth_modes: {
    kind: 'list',
    schema: z
      .array(z.enum(authModes, { message: `each mode must be one of ${authModes.join(', ')}` }))
      .min(1, 'at least one mode')
      .transform((l) => [...new Set(l)]),
    default: ['db_auth'],
    help: 'the identity sources users may sign in with, several at once (Harbor has one: auth_mode)',
  },
  ldap_url: {
    kind: 'text',
    schema: z.string().regex(/^(ldaps?:\/\/[^\s/]+\/?)?$/, 'must be ldap://host:port or ldaps://host:port'),
    default: '',
    help: 'directory server; ldaps:// for TLS',
  },
  ldap_starttls: { kind: 'bool', schema: z.boolean(), default: false, help: 'upgrade an ldap:// connection with StartTLS before binding' },
  ldap_verify_cert: { kind: 'bool', schema: z.boolean(), default: true, help: "check the directory's TLS certificate" },
  ldap_search_dn: { kind: 'text', schema: dn, default: '', help: 'DN that searches for users (empty: anonymous search)' },
  ldap_search_password: { kind: 'text', schema: z.string().max(1024), default: '', secret: true, help: 'password of ldap_search_dn' },
  ldap_base_dn: { kind: 'text', schema: dn, default: '', help: 'where users are searched' },
  ldap_filter: { kind: 'text', schema: filter, default: '', help: 'extra filter a user entry must match, e.g. (objectClass=person)' },
  ldap_uid: { kind: 'text', schema: attribute.min(1), default: 'uid', help: 'attribute holding the user name' },
  ldap_scope: { kind: 'int', schema: scope, default: 2, help: 'user search scope: 0 base, 1 one level, 2 subtree' },
  ldap_cache_seconds: {
    kind: 'int',
    schema: z.number().int().min(0).max(3600),
    default: 30,
    help: 'how long a server reuses a directory login it checked (docker logs in for every pull); a user removed from the directory or a group is seen after this',
  },
  ldap_timeout: { kind: 'int', schema: z.number().int().min(1).max(300), default: 5, help: 'seconds a directory operation may take' },
  ldap_group_base_dn: { kind: 'text', schema: dn, default: '', help: 'where groups are (empty: groups are not read)' },
  ldap_group_search_filter: { kind: 'text', schema: filter, default: '', help: 'filter a group entry must match, e.g. (objectClass=groupOfNames)' },
  ldap_group_attribute_name: { kind: 'text', schema: attribute.min(1), default: 'cn', help: "attribute holding a group's name" },
  ldap_group_search_scope: { kind: 'int', schema: scope, default: 2, help: 'group search scope: 0 base, 1 one level, 2 subtree' },
  ldap_group_membership_attribute: {
    kind: 'text',
    schema: attribute,
    default: 'memberof',
    help: "attribute of a user entry listing the user's groups by DN (empty: not read)",
  },
  ldap_group_member_attribute: {
    kind: 'text',
    schema: attribute,
    default: '',
    help: 'attribute of a group entry listing its members (member, uniqueMember by DN; memberUid by user name); empty: not searched',
  },
  ldap_group_nested: { kind: 'bool', schema: z.boolean(), default: false, help: 'a member of a group inside a group is a member of both' },
  ldap_group_admin_dn: { kind: 'text', schema: dn, default: '', help: 'members of this group are system administrators (set at each login)' },
  oidc_name: { kind: 'text', schema: z.string().max(100), default: '', help: "the provider's name on the console's sign-in button" },
  oidc_endpoint: {
    kind: 'text',
    schema: z
      .string()
      .regex(/^(https:\/\/[^\s]+|http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/[^\s]*)?)?$/, 'must be an https:// issuer URL (http:// only on loopback)'),
    default: '',
    help: "the provider's issuer URL (its discovery document is at /.well-known/openid-configuration below it)",
  },
  oidc_client_id: { kind: 'text', schema: z.string().max(512), default: '', help: "Berth's client id at the provider" },
  oidc_client_secret: { kind: 'text', schema: z.string().max(1024), default: '', secret: true, help: "Berth's client secret at the provider" },
  oidc_scope: {
    kind: 'text',
    schema: z.string().regex(/^[\w.:/-]+(,[\w.:/-]+)*$/, 'must be comma-separated scopes'),
    default: 'openid,profile,email,offline_access',
    help: 'scopes asked for; openid is required, offline_access lets CLI logins renew the sign-in',
  },
  oidc_user_claim: {
    kind: 'text',
    schema: z.string().max(100),
    default: '',
    help: 'claim taken as the user name (empty: preferred_username, then email, then name)',
  },
  oidc_groups_claim: { kind: 'text', schema: z.string().max(100), default: '', help: 'claim listing the groups (empty: groups are not read)' },
  oidc_admin_group: { kind: 'text', schema: z.string().max(512), default: '', help: 'members of this group are system administrators (set at each sign-in)' },
  oidc_auto_onboard: {
    kind: 'bool',
    schema: z.boolean(),
    default: false,
    help: 'create the user at the first sign-in with the claimed name, without asking for one',
  },
  oidc_verify_cert: { kind: 'bool', schema: z.boolean(), default: true, help: "check the provider's TLS certificate" },
} satisfies Record<string, Setting>;

export type AuthSettingKey = keyof typeof authSettings;
export type AuthSettingsValues = { [K in AuthSettingKey]: z.output<(typeof authSettings)[K]['schema']> };

export const authSettingKeys = Object.keys(authSettings) as AuthSettingKey[];

export function authEnvName(key: AuthSettingKey): string {
  return `BERTH_${key.toUpperCase()}`;
}

const byEnvName = new Map(authSettingKeys.map((k) => [authEnvName(k), k]));

export function authKeyOfEnv(name: string): AuthSettingKey | undefined {
  return byEnvName.get(name);
}

/** Parses a setting's text as an environment variable gives it; throws Error with the reason. */
export function parseAuthSettingText(key: AuthSettingKey, text: string): unknown {
  const s: Setting = authSettings[key];
  let value: unknown = text;
  if (s.kind === 'bool') {
    if (!/^(true|false)$/.test(text)) throw new Error('must be true or false');
    value = text === 'true';
  } else if (s.kind === 'int') {
    if (!/^\d{1,9}$/.test(text)) throw new Error('must be a whole number');
    value = Number(text);
  } else if (s.kind === 'list') {
    value = text
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
  }
  return checkAuthSetting(key, value);
}

/** Checks a JSON value of a setting; throws Error with the reason. */
export function checkAuthSetting(key: AuthSettingKey, value: unknown): unknown {
  const r = (authSettings[key] as Setting).schema.safeParse(value);
  if (!r.success) throw new Error(r.error.issues[0]?.message ?? 'invalid');
  return r.data;
}
