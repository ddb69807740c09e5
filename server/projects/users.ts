// The users API: administrators create users; everyone may read themselves.
import { ApiError } from '../api/errors.js';
import type { Principal } from '../auth/principal.js';
import type { Database } from '../db/database.js';
import { findUserById, saveUser, type UserRow } from '../db/users.js';
import { checkPasswordPolicy, hashPassword } from './identity.js';

const usernameRe = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,254}$/;

export interface UserView {
  user_id: number;
  username: string;
  email: string | null;
  realname: string | null;
  sysadmin_flag: boolean;
  creation_time: string;
  update_time: string;
}

function view(u: UserRow): UserView {
  return {
    user_id: u.id,
    username: u.username,
    email: u.email,
    realname: u.realname,
    sysadmin_flag: u.sysadmin,
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
  if (principal.kind !== 'user') throw new ApiError('UNAUTHORIZED', 'log in first');
  if (!principal.sysadmin) throw new ApiError('FORBIDDEN', 'only system administrators may create users');
  const { username, password, email, realname } = input;
  if (typeof username !== 'string' || !usernameRe.test(username) || username.startsWith('robot$')) {
    throw new ApiError('BAD_REQUEST', 'username must be 1 to 255 letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  if (typeof password !== 'string') throw new ApiError('BAD_REQUEST', 'password is required');
  checkPasswordPolicy(password);
  for (const [k, v] of Object.entries({ email, realname })) {
    if (v !== undefined && (typeof v !== 'string' || v.length > 255)) throw new ApiError('BAD_REQUEST', `${k} must be a string of at most 255 characters`);
  }
  const row = await saveUser(db, {
    username,
    email: email as string | undefined,
    realname: realname as string | undefined,
    passwordHash: await hashPassword(password),
    sysadmin: false,
  });
  if (!row) throw new ApiError('CONFLICT', `user ${username} already exists`);
  return row.id;
}

export async function currentUser(db: Database, principal: Principal): Promise<UserView> {
  if (principal.kind !== 'user') throw new ApiError('UNAUTHORIZED', 'log in first');
  const row = await findUserById(db, principal.id);
  if (!row) throw new ApiError('UNAUTHORIZED', 'log in first');
  return view(row);
}
