// The directory as Berth asks it (LDAP v3 through ldapts): find a user by name with the
// search account, check their password by binding as them, and read their groups. One
// connection per question, closed after it: logins are rare next to registry requests,
// and a pooled connection would carry a user's bind into the next question.
import { Client, Filter, InvalidCredentialsError, NoSuchObjectError, SizeLimitExceededError, type Entry } from 'ldapts';
import type { AuthSettingsValues } from '../config/authSettings.js';

export type LdapSettings = Pick<
  AuthSettingsValues,
  | 'ldap_url'
  | 'ldap_starttls'
  | 'ldap_verify_cert'
  | 'ldap_search_dn'
  | 'ldap_search_password'
  | 'ldap_base_dn'
  | 'ldap_filter'
  | 'ldap_uid'
  | 'ldap_scope'
  | 'ldap_timeout'
  | 'ldap_group_base_dn'
  | 'ldap_group_search_filter'
  | 'ldap_group_attribute_name'
  | 'ldap_group_search_scope'
  | 'ldap_group_membership_attribute'
  | 'ldap_group_member_attribute'
  | 'ldap_group_nested'
>;

/** The directory could not answer (unreachable, refused the search account, misconfigured). */
export class DirectoryError extends Error {
  override name = 'DirectoryError';
}

export interface DirectoryUser {
  dn: string;
  username: string;
  email?: string;
  realname?: string;
  /** The groups under ldap_group_base_dn the user is in (nested ones too when asked). */
  groups: DirectoryGroup[];
}

export interface DirectoryGroup {
  dn: string;
  name: string;
}

const scopes = ['base', 'one', 'sub'] as const;
// Bounds on what one login may read, so a cycle or a huge tree cannot stall it.
const maxGroups = 1000;
const maxNestingDepth = 10;

/** A DN compared as the directory does: case and the spaces around separators do not count. */
export function normalizeDn(dn: string): string {
  return dn
    .trim()
    .replace(/\s*([,=+])\s*/g, '$1')
    .toLowerCase();
}

/** Whether `dn` is `base` or below it. */
export function dnWithin(dn: string, base: string): boolean {
  const d = normalizeDn(dn);
  const b = normalizeDn(base);
  return b === '' || d === b || d.endsWith(`,${b}`);
}

/** The value of a DN's first component (cn=devs,ou=groups,… → devs), unescaped. */
export function firstRdnValue(dn: string): string {
  const m = /^[^=]+=((?:\\.|[^,+\\])*)/.exec(dn.trim());
  const raw = (m?.[1] ?? dn).trim();
  return raw.replace(/\\([0-9a-fA-F]{2}|.)/g, (_, e: string) => (e.length === 2 ? String.fromCharCode(Number.parseInt(e, 16)) : e));
}

function values(entry: Entry, attribute: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  if (!key) return [];
  const v = entry[key];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x)));
}

/** A filter matching `attribute` = `value` exactly, with the value escaped (RFC 4515). */
function equals(attribute: string, value: string): string {
  return `(${attribute}=${Filter.escape(value)})`;
}

function and(...filters: string[]): string {
  const parts = filters.filter(Boolean);
  return parts.length === 1 ? parts[0] : `(&${parts.join('')})`;
}

async function connect(s: LdapSettings): Promise<Client> {
  if (!s.ldap_url) throw new DirectoryError('ldap_url is not set');
  const tlsOptions = { rejectUnauthorized: s.ldap_verify_cert };
  // ldapts speaks TLS from the start whenever tlsOptions is given, so only for ldaps://.
  const secure = s.ldap_url.startsWith('ldaps://');
  const client = new Client({
    url: s.ldap_url,
    timeout: s.ldap_timeout * 1000,
    connectTimeout: s.ldap_timeout * 1000,
    ...(secure ? { tlsOptions } : {}),
  });
  try {
    if (s.ldap_starttls) await client.startTLS(tlsOptions);
    return client;
  } catch (err) {
    await client.unbind().catch(() => {});
    throw new DirectoryError(`cannot reach the directory at ${s.ldap_url}: ${(err as Error).message}`);
  }
}

async function bindSearcher(client: Client, s: LdapSettings): Promise<void> {
  if (!s.ldap_search_dn) return;
  try {
    await client.bind(s.ldap_search_dn, s.ldap_search_password);
  } catch (err) {
    throw new DirectoryError(`the directory refused the search account ${s.ldap_search_dn}: ${(err as Error).message}`);
  }
}

async function withSearcher<T>(s: LdapSettings, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await connect(s);
  try {
    await bindSearcher(client, s);
    return await fn(client);
  } catch (err) {
    if (err instanceof DirectoryError) throw err;
    throw new DirectoryError(`directory error: ${(err as Error).message}`);
  } finally {
    await client.unbind().catch(() => {});
  }
}

/** Finds the one entry with this user name; undefined when none; DirectoryError when several. */
async function findUserEntry(client: Client, s: LdapSettings, username: string): Promise<Entry | undefined> {
  const attributes = [s.ldap_uid, 'mail', 'cn', 'displayName', s.ldap_group_membership_attribute].filter(Boolean);
  try {
    const { searchEntries } = await client.search(s.ldap_base_dn, {
      scope: scopes[s.ldap_scope],
      filter: and(s.ldap_filter, equals(s.ldap_uid, username)),
      attributes,
      sizeLimit: 2,
    });
    if (searchEntries.length > 1) throw new DirectoryError(`more than one directory entry has ${s.ldap_uid}=${username}`);
    return searchEntries[0];
  } catch (err) {
    if (err instanceof SizeLimitExceededError) throw new DirectoryError(`more than one directory entry has ${s.ldap_uid}=${username}`);
    if (err instanceof NoSuchObjectError) throw new DirectoryError(`ldap_base_dn ${s.ldap_base_dn} does not exist in the directory`);
    throw err;
  }
}

/** The user's groups under the group base: by their own attribute, by the groups' member attribute, nested if asked. */
async function groupsOf(client: Client, s: LdapSettings, entry: Entry, username: string): Promise<DirectoryGroup[]> {
  if (!s.ldap_group_base_dn) return [];
  const found = new Map<string, DirectoryGroup>();
  const add = (dn: string, name?: string): boolean => {
    const key = normalizeDn(dn);
    if (found.has(key) || found.size >= maxGroups || !dnWithin(dn, s.ldap_group_base_dn)) return false;
    found.set(key, { dn, name: name || firstRdnValue(dn) });
    return true;
  };
  // Groups that list `memberDn` (a user's DN, or a group's when nested) or the user name.
  const searchByMember = async (memberValue: string): Promise<DirectoryGroup[]> => {
    const { searchEntries } = await client.search(s.ldap_group_base_dn, {
      scope: scopes[s.ldap_group_search_scope],
      filter: and(s.ldap_group_search_filter, equals(s.ldap_group_member_attribute, memberValue)),
      attributes: [s.ldap_group_attribute_name],
      sizeLimit: maxGroups,
    });
    return searchEntries.map((e) => ({ dn: e.dn, name: values(e, s.ldap_group_attribute_name)[0] ?? firstRdnValue(e.dn) }));
  };
  const byUid = s.ldap_group_member_attribute.toLowerCase() === 'memberuid';

  let frontier: string[] = [];
  if (s.ldap_group_membership_attribute) for (const dn of values(entry, s.ldap_group_membership_attribute)) if (add(dn)) frontier.push(dn);
  if (s.ldap_group_member_attribute) for (const g of await searchByMember(byUid ? username : entry.dn)) if (add(g.dn, g.name)) frontier.push(g.dn);

  for (let depth = 0; s.ldap_group_nested && frontier.length && depth < maxNestingDepth; depth++) {
    const next: string[] = [];
    for (const groupDn of frontier) {
      if (s.ldap_group_membership_attribute) {
        const { searchEntries } = await client.search(groupDn, { scope: 'base', filter: '(objectClass=*)', attributes: [s.ldap_group_membership_attribute] });
        for (const e of searchEntries) for (const dn of values(e, s.ldap_group_membership_attribute)) if (add(dn)) next.push(dn);
      }
      // posixGroup's memberUid names users only, so groups nest through DN-valued attributes.
      if (s.ldap_group_member_attribute && !byUid) for (const g of await searchByMember(groupDn)) if (add(g.dn, g.name)) next.push(g.dn);
    }
    frontier = next;
  }
  return [...found.values()];
}

/**
 * Checks a user's password against the directory: undefined when no entry has the name or
 * the password is wrong; the entry and its groups otherwise. An empty password is refused
 * before the directory sees it, as LDAP takes a simple bind without one as anonymous.
 */
export async function verifyDirectoryUser(s: LdapSettings, username: string, password: string): Promise<DirectoryUser | undefined> {
  if (!password || !username) return undefined;
  return withSearcher(s, async (client) => {
    const entry = await findUserEntry(client, s, username);
    if (!entry) return undefined;
    try {
      await client.bind(entry.dn, password);
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return undefined;
      throw err;
    }
    // Groups are read as the search account: a user often may not read group entries.
    await bindSearcher(client, s);
    const groups = await groupsOf(client, s, entry, username);
    const name = values(entry, s.ldap_uid)[0] ?? username;
    return {
      dn: entry.dn,
      username: name,
      email: values(entry, 'mail')[0],
      realname: values(entry, 'displayName')[0] ?? values(entry, 'cn')[0],
      groups,
    };
  });
}

/** The group entry at this DN under the group base and matching the group filter, if any. */
export async function findDirectoryGroup(s: LdapSettings, dn: string): Promise<DirectoryGroup | undefined> {
  if (!s.ldap_group_base_dn) throw new DirectoryError('ldap_group_base_dn is not set, so LDAP groups are not read');
  if (!dnWithin(dn, s.ldap_group_base_dn)) return undefined;
  return withSearcher(s, async (client) => {
    try {
      const { searchEntries } = await client.search(dn, {
        scope: 'base',
        filter: s.ldap_group_search_filter || '(objectClass=*)',
        attributes: [s.ldap_group_attribute_name],
      });
      const e = searchEntries[0];
      return e ? { dn: e.dn, name: values(e, s.ldap_group_attribute_name)[0] ?? firstRdnValue(e.dn) } : undefined;
    } catch (err) {
      if (err instanceof NoSuchObjectError) return undefined;
      throw err;
    }
  });
}

/** Harbor's LDAP ping: connect, bind the search account, read the user base. */
export async function pingDirectory(s: LdapSettings): Promise<void> {
  await withSearcher(s, async (client) => {
    try {
      await client.search(s.ldap_base_dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['dn'] });
    } catch (err) {
      if (err instanceof NoSuchObjectError) throw new DirectoryError(`ldap_base_dn ${s.ldap_base_dn} does not exist in the directory`);
      throw err;
    }
  });
}
