// The users API: administrators create users; everyone may read themselves.
import { DomainError } from '../lib/errors.js';
import { requireAdmin, requireUser, type Principal } from '../lib/principal.js';
import type { Database } from '../db/database.js';
import bcrypt from 'bcrypt';
import type { Paging } from '../lib/query.js';
import { findUserById, listUsers, removeUser, saveUser, updatePasswordHash, updateProfile, updateSysadmin, type UserRow } from '../db/users.js';
import { removeUserSessions } from '../db/sessions.js';
import { recordAudit } from '../audit/record.js';
import { checkPasswordPolicy, hashPassword } from './passwords.js';
import type { UserView } from '../lib/harborTypes.js';
import { usernamePattern } from '../lib/usernames.js';
import { readCliSecret, writeCliSecret } from '../identity/oidcLogin.js';
import type { Sealer } from '../identity/settings.js';

// Harbor's fields are strings, empty when unset.
function view(u: UserRow): UserView {
  return {
    user_id: u.id,
    username: u.username,
    email: u.email ?? '',
    realname: u.realname ?? '',
    comment: u.comment,
    sysadmin_flag: u.sysadmin,
    admin_role_in_auth: false,
    source: u.source,
    creation_time: new Date(u.created_at).toISOString(),
    update_time: new Date(u.updated_at).toISOString(),
  };
}

export interface NewUser {
  username?: unknown;
  password?: unknown;
  email?: unknown;
  realname?: unknown;
}

export async function createUser(db: Database, principal: Principal, input: NewUser): Promise<number> {
  requireAdmin(principal, 'only system administrators may create users');
  const { username, password, email, realname } = input;
  if (typeof username !== 'string' || !usernamePattern.test(username) || username.startsWith('robot$')) {
    throw new DomainError('INVALID', 'username must be 1 to 255 letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  if (typeof password !== 'string') throw new DomainError('INVALID', 'password is required');
  checkPasswordPolicy(password);
  for (const [k, v] of Object.entries({ email, realname })) {
    if (v !== undefined && (typeof v !== 'string' || v.length > 255)) throw new DomainError('INVALID', `${k} must be a string of at most 255 characters`);
  }
  const passwordHash = await hashPassword(password);
  return db.tx(async (q) => {
    const row = await saveUser(q, { username, email: email as string | undefined, realname: realname as string | undefined, passwordHash, sysadmin: false });
    if (!row) throw new DomainError('CONFLICT', `user ${username} already exists`);
    await recordAudit(q, { operation: 'create', resourceType: 'user', resource: username });
    return row.id;
  });
}

/** GET /users/current; an OIDC user also sees their CLI secret (Harbor's oidc_user_meta). */
export async function currentUser(db: Database, principal: Principal, box?: Sealer): Promise<UserView> {
  const row = await findUserById(db, requireUser(principal).id);
  if (!row) throw new DomainError('UNAUTHENTICATED', 'log in first');
  const secret = row.source === 'oidc' && box ? await readCliSecret(db, box, row.id) : undefined;
  return secret === undefined ? view(row) : { ...view(row), oidc_user_meta: { user_id: row.id, subiss: row.external_id ?? '', secret } };
}

/** PUT /users/{id}/cli_secret {secret}: an OIDC user's own, or any for administrators. */
export async function setCliSecret(db: Database, box: Sealer, principal: Principal, userId: string, input: { secret?: unknown }): Promise<void> {
  const actor = requireUser(principal);
  const target = /^\d{1,15}$/.test(userId) ? await findUserById(db, Number(userId)) : undefined;
  if (!target || (target.id !== actor.id && !actor.sysadmin))
    throw new DomainError(actor.sysadmin ? 'NOT_FOUND' : 'DENIED', `cannot change the CLI secret of user ${userId.slice(0, 50)}`);
  if (target.source !== 'oidc') throw new DomainError('PRECONDITION_FAILED', `${target.username} has no CLI secret: only identity-provider users do`);
  if (typeof input.secret !== 'string') throw new DomainError('INVALID', 'secret is required');
  checkPasswordPolicy(input.secret);
  const secret = input.secret;
  await db.tx(async (q) => {
    if (!(await writeCliSecret(q, box, target.id, secret))) throw new DomainError('PRECONDITION_FAILED', `${target.username} has not signed in yet`);
    await recordAudit(q, { operation: 'update', resourceType: 'user', resource: `${target.username} CLI secret changed` });
  });
}

/** GET /users/{id}: administrators see anyone, others themselves. */
export async function getUserFor(db: Database, principal: Principal, userId: string): Promise<UserView> {
  const actor = requireUser(principal);
  const target = /^\d{1,15}$/.test(userId) ? await findUserById(db, Number(userId)) : undefined;
  if (!target || (target.id !== actor.id && !actor.sysadmin))
    throw new DomainError(actor.sysadmin ? 'NOT_FOUND' : 'DENIED', `user ${userId.slice(0, 50)} is not yours to read`);
  return view(target);
}

export interface ProfileInput {
  email?: unknown;
  realname?: unknown;
  comment?: unknown;
}

/** PUT /users/{id} {email, realname, comment}: users edit their own profile, administrators anyone's. */
export async function updateUserProfile(db: Database, principal: Principal, userId: string, input: ProfileInput): Promise<void> {
  const actor = requireUser(principal);
  const target = /^\d{1,15}$/.test(userId) ? await findUserById(db, Number(userId)) : undefined;
  if (!target || (target.id !== actor.id && !actor.sysadmin))
    throw new DomainError(actor.sysadmin ? 'NOT_FOUND' : 'DENIED', `user ${userId.slice(0, 50)} is not yours to edit`);
  const fields: { email?: string; realname?: string; comment?: string } = {};
  for (const [k, limit] of [
    ['email', 255],
    ['realname', 255],
    ['comment', 1024],
  ] as const) {
    const v = input[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || v.length > limit) throw new DomainError('INVALID', `${k} must be a string of at most ${limit} characters`);
    fields[k] = v;
  }
  if (fields.email !== undefined && fields.email !== '' && !/^[^\s@]+@[^\s@]+$/.test(fields.email))
    throw new DomainError('INVALID', 'email must be an address (name@host)');
  await db.tx(async (q) => {
    await updateProfile(q, target.id, fields);
    await recordAudit(q, { operation: 'update', resourceType: 'user', resource: `${target.username} profile` });
  });
}

/** GET /users/search?username=: any signed-in user finds others by name (ids and names only), as Harbor. */
export async function searchUsers(
  db: Database,
  principal: Principal,
  usernameContains: string | undefined,
  paging: Paging,
): Promise<{ items: Array<{ user_id: number; username: string }>; total: number }> {
  requireUser(principal);
  if (!usernameContains) throw new DomainError('INVALID', 'username is required');
  const { rows, total } = await listUsers(db, usernameContains, paging.pageSize, paging.offset);
  return { items: rows.map((u) => ({ user_id: u.id, username: u.username })), total };
}

/** GET /users (administrators): `username` filters by substring. */
export async function listUsersFor(
  db: Database,
  principal: Principal,
  usernameContains: string | undefined,
  paging: Paging,
): Promise<{ items: UserView[]; total: number }> {
  requireAdmin(principal);
  const { rows, total } = await listUsers(db, usernameContains, paging.pageSize, paging.offset);
  return { items: rows.map(view), total };
}

/**
 * PUT /users/{id}/password {old_password, new_password}: users change their own (proving
 * the old one); administrators set anyone else's without it.
 */
export async function changePassword(
  db: Database,
  principal: Principal,
  userId: string,
  input: { old_password?: unknown; new_password?: unknown },
): Promise<void> {
  const actor = requireUser(principal);
  const target = /^\d+$/.test(userId) ? await findUserById(db, Number(userId)) : undefined;
  const self = target?.id === actor.id;
  if (!target || (!self && !actor.sysadmin))
    throw new DomainError(actor.sysadmin ? 'NOT_FOUND' : 'DENIED', `cannot change the password of user ${userId.slice(0, 50)}`);
  if (target.source !== 'db' || target.password_hash === null) {
    throw new DomainError('PRECONDITION_FAILED', `${target.username} signs in through ${target.source}; change the password there`);
  }
  const currentHash = target.password_hash;
  if (typeof input.new_password !== 'string') throw new DomainError('INVALID', 'new_password is required');
  if (self) {
    if (typeof input.old_password !== 'string' || !(await bcrypt.compare(input.old_password, currentHash))) {
      throw new DomainError('DENIED', 'old_password is not correct');
    }
  }
  checkPasswordPolicy(input.new_password);
  const hash = await hashPassword(input.new_password);
  // A new password ends the user's other console sessions (a stolen session does not
  // outlive the password change meant to lock its thief out); the caller's own stays.
  await db.tx(async (q) => {
    await updatePasswordHash(q, target.id, hash);
    await removeUserSessions(q, target.id, self ? actor.session : undefined);
    await recordAudit(q, { operation: 'update', resourceType: 'user', resource: `${target.username} password changed` });
  });
}

/** DELETE /users/{id} (administrators; never oneself, never the first administrator). */
export async function deleteUser(db: Database, principal: Principal, userId: string): Promise<void> {
  const actor = requireAdmin(principal);
  if (!/^\d+$/.test(userId)) throw new DomainError('NOT_FOUND', `user ${userId.slice(0, 50)} not found`);
  const id = Number(userId);
  if (id === actor.id || id === 1) throw new DomainError('DENIED', 'you cannot delete yourself or the first administrator');
  const target = await findUserById(db, id);
  await db.tx(async (q) => {
    if (!target || !(await removeUser(q, id))) throw new DomainError('NOT_FOUND', `user ${userId} not found`);
    await recordAudit(q, { operation: 'delete', resourceType: 'user', resource: target.username });
  });
}

/** PUT /users/{id}/sysadmin {sysadmin_flag} (administrators; never oneself, never the first administrator). */
export async function setSysadmin(db: Database, principal: Principal, userId: string, input: { sysadmin_flag?: unknown }): Promise<void> {
  const actor = requireAdmin(principal);
  if (typeof input.sysadmin_flag !== 'boolean') throw new DomainError('INVALID', 'sysadmin_flag must be true or false');
  if (!/^\d{1,15}$/.test(userId)) throw new DomainError('NOT_FOUND', `user ${userId.slice(0, 50)} not found`);
  const id = Number(userId);
  // Nobody locks themselves (or everyone) out of administration by accident.
  if (id === actor.id || id === 1) throw new DomainError('DENIED', 'you cannot change your own administrator flag or that of the first administrator');
  const target = await findUserById(db, id);
  const flag = input.sysadmin_flag;
  await db.tx(async (q) => {
    if (!target || !(await updateSysadmin(q, id, flag))) throw new DomainError('NOT_FOUND', `user ${userId} not found`);
    await recordAudit(q, { operation: 'update', resourceType: 'user', resource: `${target.username} ${flag ? 'made' : 'no longer'} administrator` });
  });
}
