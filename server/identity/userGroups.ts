// Harbor's /api/v2.0/usergroups: the directory's groups as Berth knows them, to be made
// project members. An LDAP group is named by its DN and must exist in the directory when
// it is added by hand; groups also appear by themselves when a member first signs in.
import type { Database } from '../db/database.js';
import {
  ensureUserGroup,
  findUserGroup,
  findUserGroupBy,
  groupTypes,
  listUserGroups,
  removeUserGroup,
  renameUserGroup,
  saveUserGroup,
  type UserGroupRow,
} from '../db/userGroups.js';
import { recordAudit } from '../audit/record.js';
import { DomainError } from '../lib/errors.js';
import { requireAdmin, requireUser, type Principal } from '../lib/principal.js';
import type { Paging } from '../lib/query.js';
import { DirectoryError, findDirectoryGroup, normalizeDn } from './ldap.js';
import type { AuthSettingsStore } from './settings.js';
import type { UserGroupView } from '../lib/harborTypes.js';

function view(g: UserGroupRow): UserGroupView {
  return { id: g.id, group_name: g.group_name, group_type: g.group_type, ldap_group_dn: g.ldap_group_dn ?? '' };
}

export interface NewUserGroup {
  id?: unknown;
  group_name?: unknown;
  group_type?: unknown;
  ldap_group_dn?: unknown;
}

const nameRe = /^[^\p{Cc}]{1,255}$/u;

export class UserGroups {
  constructor(
    private readonly db: Database,
    private readonly settings: AuthSettingsStore,
  ) {}

  /** GET /usergroups (administrators): by name substring, type or exact DN. */
  async list(
    principal: Principal,
    f: { groupName?: string; ldapGroupDn?: string; groupType?: string },
    paging: Paging,
  ): Promise<{ items: UserGroupView[]; total: number }> {
    requireAdmin(principal, 'only system administrators list user groups');
    let type: 1 | 3 | undefined;
    if (f.groupType !== undefined) {
      if (f.groupType !== '1' && f.groupType !== '3') throw new DomainError('INVALID', 'group_type must be 1 (LDAP) or 3 (OIDC)');
      type = Number(f.groupType) as 1 | 3;
    }
    const { rows, total } = await listUserGroups(this.db, { type, nameContains: f.groupName, dn: f.ldapGroupDn }, paging.pageSize, paging.offset);
    return { items: rows.map(view), total };
  }

  /** GET /usergroups/search?groupname= (any user: project admins pick groups to add). */
  async search(principal: Principal, name: string | undefined, paging: Paging): Promise<{ items: Array<Omit<UserGroupView, 'ldap_group_dn'>>; total: number }> {
    requireUser(principal);
    if (!name) throw new DomainError('INVALID', 'groupname is required');
    const { rows, total } = await listUserGroups(this.db, { nameContains: name }, paging.pageSize, paging.offset);
    return { items: rows.map((g) => ({ id: g.id, group_name: g.group_name, group_type: g.group_type })), total };
  }

  async get(principal: Principal, id: string): Promise<UserGroupView> {
    requireAdmin(principal, 'only system administrators read user groups');
    return view(await this.byId(id));
  }

  private async byId(id: string): Promise<UserGroupRow> {
    const g = /^\d{1,15}$/.test(id) ? await findUserGroup(this.db, Number(id)) : undefined;
    if (!g) throw new DomainError('NOT_FOUND', `user group ${id.slice(0, 50)} not found`);
    return g;
  }

  /**
   * POST /usergroups (administrators): an LDAP group by its DN, which the directory must
   * have, or an OIDC group by the name the groups claim will carry.
   */
  async create(principal: Principal, input: NewUserGroup): Promise<number> {
    requireAdmin(principal, 'only system administrators add user groups');
    const g = input?.group_type === groupTypes.oidc ? await this.providerGroup(input) : await this.directoryGroup(input);
    const row = await this.db.tx(async (q) => {
      const saved = await saveUserGroup(q, g);
      if (!saved) throw new DomainError('CONFLICT', g.dn ? `a user group with the DN ${g.dn} exists` : `an OIDC group ${g.name} exists`);
      await recordAudit(q, {
        operation: 'create',
        resourceType: 'user_group',
        resource: g.dn ? `${saved.group_name} (${g.dn})` : `${saved.group_name} (oidc)`,
      });
      return saved;
    });
    return row.id;
  }

  /** An OIDC group: only a name, as the provider's groups claim gives it. */
  private async providerGroup(input: NewUserGroup): Promise<{ name: string; type: 3; dn: null }> {
    if (typeof input.group_name !== 'string' || !nameRe.test(input.group_name)) throw new DomainError('INVALID', 'group_name must be 1 to 255 characters');
    const s = await this.settings.current();
    if (!s.auth_modes.includes('oidc_auth')) throw new DomainError('PRECONDITION_FAILED', 'OIDC groups need OIDC sign-in on (auth_mode oidc_auth)');
    return { name: input.group_name, type: groupTypes.oidc, dn: null };
  }

  /** The group a request names, checked against the directory; DomainError otherwise. */
  private async directoryGroup(input: NewUserGroup): Promise<{ name: string; type: 1; dn: string }> {
    if (!input || typeof input !== 'object') throw new DomainError('INVALID', 'the body must be a JSON object');
    if (input.group_type !== groupTypes.ldap) throw new DomainError('INVALID', 'group_type must be 1 (LDAP, by ldap_group_dn) or 3 (OIDC, by group_name)');
    if (typeof input.ldap_group_dn !== 'string' || !input.ldap_group_dn.trim() || input.ldap_group_dn.length > 1024) {
      throw new DomainError('INVALID', 'ldap_group_dn is required for an LDAP group');
    }
    if (input.group_name !== undefined && (typeof input.group_name !== 'string' || !nameRe.test(input.group_name))) {
      throw new DomainError('INVALID', 'group_name must be 1 to 255 characters');
    }
    const s = await this.settings.current();
    if (!s.auth_modes.includes('ldap_auth')) throw new DomainError('PRECONDITION_FAILED', 'LDAP groups need LDAP sign-in on (auth_mode ldap_auth)');
    let found: Awaited<ReturnType<typeof findDirectoryGroup>>;
    try {
      found = await findDirectoryGroup(s, input.ldap_group_dn);
    } catch (err) {
      if (err instanceof DirectoryError) throw new DomainError('UNPROCESSABLE', `the directory could not be asked: ${err.message}`);
      throw err;
    }
    if (!found) throw new DomainError('NOT_FOUND', `the directory has no group ${input.ldap_group_dn.slice(0, 200)} under ldap_group_base_dn`);
    return { name: (input.group_name as string | undefined) ?? found.name, type: groupTypes.ldap, dn: normalizeDn(found.dn) };
  }

  /** PUT /usergroups/{id} {group_name}: only the name changes (Harbor). */
  async rename(principal: Principal, id: string, input: { group_name?: unknown }): Promise<void> {
    requireAdmin(principal, 'only system administrators change user groups');
    const g = await this.byId(id);
    if (typeof input?.group_name !== 'string' || !nameRe.test(input.group_name)) throw new DomainError('INVALID', 'group_name must be 1 to 255 characters');
    const name = input.group_name;
    await this.db.tx(async (q) => {
      await renameUserGroup(q, g.id, name);
      await recordAudit(q, { operation: 'update', resourceType: 'user_group', resource: `${g.group_name} -> ${name}` });
    });
  }

  /** DELETE /usergroups/{id}: its project memberships go with it. */
  async remove(principal: Principal, id: string): Promise<void> {
    requireAdmin(principal, 'only system administrators delete user groups');
    const g = await this.byId(id);
    await this.db.tx(async (q) => {
      if (!(await removeUserGroup(q, g.id))) throw new DomainError('NOT_FOUND', `user group ${id} not found`);
      await recordAudit(q, { operation: 'delete', resourceType: 'user_group', resource: g.group_name });
    });
  }

  /** A member_group of POST /projects/{p}/members: by id, or an LDAP group by DN (added if the directory has it). */
  async resolve(input: NewUserGroup): Promise<{ id: number; group_name: string }> {
    if (!input || typeof input !== 'object') throw new DomainError('INVALID', 'member_group must be an object');
    if (input.id !== undefined && input.id !== 0) {
      if (typeof input.id !== 'number' || !Number.isSafeInteger(input.id)) throw new DomainError('INVALID', 'member_group.id must be a number');
      const g = await findUserGroup(this.db, input.id);
      if (!g) throw new DomainError('NOT_FOUND', `user group ${input.id} not found`);
      return g;
    }
    const type = typeof input.ldap_group_dn === 'string' ? groupTypes.ldap : input.group_type === groupTypes.oidc ? groupTypes.oidc : undefined;
    if (type === undefined) throw new DomainError('INVALID', 'member_group needs id, ldap_group_dn, or group_type 3 with group_name');
    const key = type === groupTypes.ldap ? { name: '', dn: normalizeDn(input.ldap_group_dn as string) } : { name: String(input.group_name ?? ''), dn: null };
    const known = await findUserGroupBy(this.db, type, key);
    if (known) return known;
    const g =
      type === groupTypes.ldap ? await this.directoryGroup({ ...input, group_type: input.group_type ?? groupTypes.ldap }) : await this.providerGroup(input);
    const row = await ensureUserGroup(this.db, type, g);
    if (!row) throw new DomainError('CONFLICT', `the group ${g.dn ?? g.name} could not be added`);
    return row;
  }
}
